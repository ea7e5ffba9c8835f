// Builds the boot identity map described in page_tables.hpp.
#include "vmm/x86/page_tables.hpp"

#include <glassvm/abi.hpp>

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

}  // namespace glassvm::x86
