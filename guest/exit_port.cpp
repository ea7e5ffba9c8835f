// Ending the VM: one byte to the exit device (glassvm's own, or QEMU's isa-debug-exit).
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {

[[noreturn]] void exit_vm(uint8_t status) {
    x86::out8(abi::kExitPort, status);
    // Only reached if nothing listens on the port: stop here for good.
    x86::halt_forever();
}

}  // namespace glassvm::guest
