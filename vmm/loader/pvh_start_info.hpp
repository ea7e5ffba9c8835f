// The PVH boot ABI's start-of-day structure (Xen, xen/include/public/arch-x86/hvm/start_info.h,
// and docs/misc/pvh.pandoc): the loader enters the kernel's PHYS32_ENTRY with EBX holding the
// guest-physical address of an hvm_start_info, which points at the command line, the module
// list (for us: the init program or the initrd) and, from version 1, the memory map. The
// structures are written here from the header's description; every field is little-endian and
// every pointer guest-physical.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/loader/e820.hpp"

namespace glassvm {

inline constexpr uint32_t kHvmStartMagic = 0x336e'c578;
inline constexpr uint32_t kHvmStartVersion = 1;  // the version with the memory map

struct HvmStartInfo {
    uint32_t magic;            // kHvmStartMagic
    uint32_t version;          // 1: memmap_* are present
    uint32_t flags;            // SIF_* (Xen PV flags); 0
    uint32_t module_count;     // nr_modules
    uint64_t modlist_address;  // modlist_paddr: HvmModlistEntry[module_count]
    uint64_t cmdline_address;  // cmdline_paddr: NUL-terminated, 0 if none
    uint64_t rsdp_address;     // rsdp_paddr: the ACPI RSDP; 0 (glassvm has no ACPI tables)
    uint64_t memmap_address;   // memmap_paddr: HvmMemmapTableEntry[memmap_count]
    uint32_t memmap_count;     // memmap_entries
    uint32_t reserved;         // must be zero
};
static_assert(sizeof(HvmStartInfo) == 56);
static_assert(offsetof(HvmStartInfo, modlist_address) == 16 && offsetof(HvmStartInfo, cmdline_address) == 24 &&
              offsetof(HvmStartInfo, rsdp_address) == 32 && offsetof(HvmStartInfo, memmap_address) == 40 &&
              offsetof(HvmStartInfo, memmap_count) == 48);

struct HvmModlistEntry {
    uint64_t address;  // paddr
    uint64_t size;
    uint64_t cmdline_address;  // cmdline_paddr: the module's own command line; 0
    uint64_t reserved;
};
static_assert(sizeof(HvmModlistEntry) == 32);

struct HvmMemmapTableEntry {
    uint64_t address;
    uint64_t size;
    uint32_t type;      // XEN_HVM_MEMMAP_TYPE_*: the e820 types (1 RAM, 2 reserved, …)
    uint32_t reserved;  // must be zero
};
static_assert(sizeof(HvmMemmapTableEntry) == 24);

struct PvhModule {
    uint64_t address = 0;
    uint64_t size = 0;
};

// What goes into the start info; the writer lays it out.
struct PvhStartInfoContents {
    uint64_t cmdline_address = 0;
    std::optional<PvhModule> module;
    std::span<const E820Entry> memory_map;
};

// Writes, from `address` on, the hvm_start_info, then its module list, then the memory map, each
// 8-aligned, all within one 4 KiB page. Returns the start info's address (for EBX).
uint64_t write_pvh_start_info(const GuestMemory& memory, uint64_t address, const PvhStartInfoContents& contents);

}  // namespace glassvm
