// Loading a kernel that follows glassvm's own boot contract (guest/README.md, "Direct boot"),
// shared by the paths that enter it at its 64-bit ELF entry — direct boot, where the VMM jumps
// there, and firmware boot, where the boot ROM does: the ELF kernel at its physical addresses,
// the command line, the init module, and the BootInfo that points at them.
#pragma once

#include <cstdint>

#include <glassvm/abi.hpp>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/boot/boot_method.hpp"

namespace glassvm {

struct LoadedKernel {
    uint64_t entry = 0;    // the ELF's 64-bit entry point
    abi::BootInfo info{};  // complete but for tsc_khz, which only a vCPU can tell
};

// Loads the kernel, writes the command line and places the init module (when there is one);
// every problem with a file is BadInput naming it.
LoadedKernel load_glassvm_kernel(const GuestMemory& memory, const BootFiles& files);

}  // namespace glassvm
