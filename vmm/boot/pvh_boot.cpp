// The pvh boot path — not built yet; `--boot pvh` says so.
#include "boot/boot_method.hpp"

#include "core/error.hpp"

namespace glassvm {

std::unique_ptr<BootMethod> make_pvh_boot(const BootFiles&) {
    throw_bad_input("--boot pvh: this boot path is not built yet (use --boot direct)");
}

}  // namespace glassvm
