// The firmware boot path — not built yet; `--boot firmware` says so.
#include "boot/boot_method.hpp"

#include "core/error.hpp"

namespace glassvm {

std::unique_ptr<BootMethod> make_firmware_boot(const BootFiles&) {
    throw_bad_input("--boot firmware: this boot path is not built yet (use --boot direct)");
}

}  // namespace glassvm
