// The linux boot path — not built yet; `--boot linux` says so.
#include "boot/boot_method.hpp"

#include "core/error.hpp"

namespace glassvm {

std::unique_ptr<BootMethod> make_linux_boot(const BootFiles&) {
    throw_bad_input("--boot linux: this boot path is not built yet (use --boot direct)");
}

}  // namespace glassvm
