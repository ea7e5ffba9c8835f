// 4-level page walk with 1 GiB, 2 MiB and 4 KiB pages.
#include "vmm/x86/page_walk.hpp"

#include "vmm/x86/page_tables.hpp"

namespace glassvm::x86 {

std::optional<uint64_t> translate(const GuestMemory& memory, uint64_t cr3, bool paging_enabled,
                                  uint64_t virtual_address) {
    if (!paging_enabled) return virtual_address;
    uint64_t table = cr3 & kPteAddressMask;
    // Levels: PML4 (bits 47:39), PDPT (38:30), PD (29:21), PT (20:12).
    for (int shift = 39; shift >= 12; shift -= 9) {
        uint64_t index = (virtual_address >> shift) & 0x1ff;
        if (!memory.contains(table + index * 8, 8)) return std::nullopt;
        uint64_t entry = memory.read_object<uint64_t>(table + index * 8);
        if (!(entry & kPtePresent)) return std::nullopt;
        bool maps_page = shift == 12 || ((shift == 30 || shift == 21) && (entry & kPteLargePage));
        if (maps_page) {
            uint64_t offset_mask = (1ull << shift) - 1;
            return ((entry & kPteAddressMask) & ~offset_mask) | (virtual_address & offset_mask);
        }
        table = entry & kPteAddressMask;
    }
    return std::nullopt;  // unreachable: the PT level always maps a page
}

}  // namespace glassvm::x86
