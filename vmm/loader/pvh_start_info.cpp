// Laying out hvm_start_info, its module list and memory map in guest RAM; see pvh_start_info.hpp.
#include "vmm/loader/pvh_start_info.hpp"

#include "base/error.hpp"

namespace glassvm {

namespace {

constexpr uint64_t kStartInfoPage = 0x1000;

}  // namespace

uint64_t write_pvh_start_info(const GuestMemory& memory, uint64_t address, const PvhStartInfoContents& contents) {
    uint64_t modlist_address = address + sizeof(HvmStartInfo);
    uint64_t module_count = contents.module ? 1 : 0;
    uint64_t memmap_address = modlist_address + module_count * sizeof(HvmModlistEntry);
    uint64_t end = memmap_address + contents.memory_map.size() * sizeof(HvmMemmapTableEntry);
    if (end - address > kStartInfoPage)
        throw Error(ErrorKind::Internal, "write_pvh_start_info: the memory map does not fit in one page");

    HvmStartInfo start{.magic = kHvmStartMagic,
                       .version = kHvmStartVersion,
                       .flags = 0,
                       .module_count = static_cast<uint32_t>(module_count),
                       .modlist_address = module_count ? modlist_address : 0,
                       .cmdline_address = contents.cmdline_address,
                       .rsdp_address = 0,
                       .memmap_address = memmap_address,
                       .memmap_count = static_cast<uint32_t>(contents.memory_map.size()),
                       .reserved = 0};
    memory.write_object(address, start);
    if (contents.module)
        memory.write_object(modlist_address, HvmModlistEntry{.address = contents.module->address,
                                                             .size = contents.module->size,
                                                             .cmdline_address = 0,
                                                             .reserved = 0});
    for (size_t i = 0; i < contents.memory_map.size(); ++i) {
        const E820Entry& entry = contents.memory_map[i];
        memory.write_object(memmap_address + i * sizeof(HvmMemmapTableEntry),
                            HvmMemmapTableEntry{.address = entry.address,
                                                .size = entry.size,
                                                .type = static_cast<uint32_t>(entry.type),
                                                .reserved = 0});
    }
    return address;
}

}  // namespace glassvm
