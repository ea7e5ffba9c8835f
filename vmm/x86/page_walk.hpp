// Translating a guest-virtual address to guest-physical by walking the guest's own 4-level
// page tables in guest RAM, as the MMU would (Intel SDM vol. 3A, 4.5). Used to show the bytes
// at RIP in exit reports, and by the debugger.
#pragma once

#include <cstdint>
#include <optional>

#include "vmm/accel/guest_memory.hpp"

namespace glassvm::x86 {

// The physical address for `virtual_address` under CR3 = `cr3`, or nullopt when a table entry
// is not present or a table lies outside RAM. With paging off (cr0_pg false) the address is
// returned unchanged.
std::optional<uint64_t> translate(const GuestMemory& memory, uint64_t cr3, bool paging_enabled,
                                  uint64_t virtual_address);

}  // namespace glassvm::x86
