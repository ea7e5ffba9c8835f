// The guest's physical memory map, as a PC BIOS reports it through INT 15h, AX=E820h (ACPI
// spec, "System Address Map Interfaces"). PVH hands it over as hvm_memmap_table_entry records,
// the Linux boot protocol as boot_params.e820_table; both describe the same map, built here.
//
// The layout is the classic PC's, which every x86 OS expects:
//   [0, 0x9fc00)            RAM   conventional memory (640 KiB less the 1 KiB EBDA)
//   [0x9fc00, 0x10_0000)    reserved  EBDA, VGA memory, option ROMs, the BIOS
//   [0x10_0000, RAM end)    RAM   extended memory, capped below the MMIO hole at 3 GiB
// glassvm puts no BIOS there, but a kernel scans that window for firmware tables (the MP
// table, the ACPI RSDP) and must not allocate it; keeping it reserved keeps every kernel happy.
#pragma once

#include <cstdint>
#include <vector>

namespace glassvm {

enum class E820Type : uint32_t {
    Ram = 1,       // usable
    Reserved = 2,  // not usable
};

struct E820Entry {
    uint64_t address = 0;
    uint64_t size = 0;
    E820Type type = E820Type::Ram;

    bool operator==(const E820Entry&) const = default;
};

inline constexpr uint64_t kE820ConventionalEnd = 0x9'fc00;
inline constexpr uint64_t kE820ExtendedStart = 0x10'0000;

// The map for a guest with `ram_bytes` of RAM at guest-physical 0 (more than 1 MiB).
std::vector<E820Entry> build_e820_map(uint64_t ram_bytes);

}  // namespace glassvm
