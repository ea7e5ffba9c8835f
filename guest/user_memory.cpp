// Which guest-physical memory belongs to ring 3: all RAM above the kernel's first 2 MiB.
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

uint64_t memory_end;  // RAM is [0, memory_end); never reaches into the MMIO hole

}  // namespace

void user_memory_init(const abi::BootInfo& boot) {
    memory_end = boot.memory_bytes < abi::kMmioHoleStart ? boot.memory_bytes : abi::kMmioHoleStart;
}

uint64_t user_memory_end() { return memory_end; }

// [address, address + size) lies in user RAM; written to avoid overflow for any inputs.
bool is_user_range(uint64_t address, uint64_t size) {
    return address >= abi::kKernelRegionEnd && address <= memory_end &&
           size <= memory_end - address;
}

}  // namespace glassvm::guest
