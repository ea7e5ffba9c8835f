// Builds the boot identity map; walks the guest's page tables; reads guest memory through them.
#include "vmm/x86/page_tables.hpp"

#include <glassvm/abi.hpp>

#include <fmt/format.h>
#include <algorithm>
#include "vmm/x86/layout.hpp"

namespace glassvm::x86 {

uint64_t build_identity_page_tables(const GuestMemory& memory) {
    constexpr uint64_t kTableFlags = kPtePresent | kPteWritable | kPteUser;
    constexpr uint64_t kEntriesPerTable = 512;
    constexpr uint64_t kDirectories = layout::kIdentityMappedBytes / (kEntriesPerTable * layout::kLargePageSize);

    auto zero_table = [&](uint64_t address) {
        auto table = memory.slice(address, layout::kPageSize);
        std::fill(table.begin(), table.end(), uint8_t{0});
    };
    zero_table(layout::kPml4);
    zero_table(layout::kPdpt);
    memory.write_object<uint64_t>(layout::kPml4, layout::kPdpt | kTableFlags);

    for (uint64_t directory = 0; directory < kDirectories; ++directory) {
        uint64_t directory_address = layout::kPageDirectories + directory * layout::kPageSize;
        memory.write_object<uint64_t>(layout::kPdpt + directory * 8, directory_address | kTableFlags);
        for (uint64_t entry = 0; entry < kEntriesPerTable; ++entry) {
            uint64_t physical = (directory * kEntriesPerTable + entry) * layout::kLargePageSize;
            uint64_t flags = kPtePresent | kPteWritable | kPteLargePage;
            // The U/S bit is what keeps the init program out of the kernel's 2 MiB.
            if (physical >= abi::kKernelRegionEnd) flags |= kPteUser;
            memory.write_object<uint64_t>(directory_address + entry * 8, physical | flags);
        }
    }
    return layout::kPml4;
}

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

namespace glassvm {

namespace {

constexpr uint64_t kPageSize = 4096;

// The physical address of `address`, or the reason there is none.
std::optional<uint64_t> to_physical(const Translate& translate, GuestAddress address, std::string& why) {
    if (address.physical) return address.value;
    std::optional<uint64_t> physical = translate(address.value);
    if (!physical) why = fmt::format("{:#x} is not mapped in the guest's page tables", address.value);
    return physical;
}

}  // namespace

GuestBytes read_guest(const GuestMemory& memory, const Translate& translate, GuestAddress address, uint64_t length) {
    GuestBytes result;
    length = std::min(length, UINT64_MAX - address.value);  // no wrap past the top of the address space
    while (result.bytes.size() < length) {
        GuestAddress at{address.value + result.bytes.size(), address.physical};
        uint64_t chunk = std::min(length - result.bytes.size(), kPageSize - at.value % kPageSize);
        std::optional<uint64_t> physical = to_physical(translate, at, result.shortfall);
        if (!physical) return result;
        auto bytes = memory.try_slice(*physical, chunk);
        if (!bytes) {
            result.shortfall =
                at.physical ? fmt::format("physical {:#x} is outside guest RAM", *physical)
                            : fmt::format("{:#x} maps to physical {:#x}, outside guest RAM", at.value, *physical);
            return result;
        }
        result.bytes.insert(result.bytes.end(), bytes->begin(), bytes->end());
    }
    return result;
}

}  // namespace glassvm
