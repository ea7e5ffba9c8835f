// ELF64 executables (System V gABI, "ELF-64 Object File Format"): checking a file is an
// x86-64 executable glassvm can boot, copying its PT_LOAD segments into guest RAM, and reading
// its notes (PT_NOTE; the PVH entry note, XEN_ELFNOTE_PHYS32_ENTRY). Pure:
// no ioctls, only bytes in and bytes out, so every malformed input is unit-testable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <optional>
#include "vmm/accel/guest_memory.hpp"

namespace glassvm {

struct ElfSegment {
    uint64_t file_offset = 0;
    uint64_t file_size = 0;
    uint64_t memory_size = 0;   // >= file_size; the rest is zeroed (.bss)
    uint64_t load_address = 0;  // p_paddr: where it goes in guest-physical memory
    uint64_t virtual_address = 0;
    bool executable = false;
};

struct ElfImage {
    uint64_t entry = 0;
    std::vector<ElfSegment> segments;  // PT_LOAD only, sorted by load_address

    uint64_t lowest_address() const;
    uint64_t highest_address() const;  // one past the last byte
};

// Validates `file` as an ELF64 little-endian x86-64 ET_EXEC with at least one PT_LOAD and an
// entry point inside an executable segment (at its virtual or its physical address); segments
// in bounds of the file, not overlapping, not wrapping around. Throws a BadInput Error naming `what` (e.g. the path) and the problem.
ElfImage parse_elf(std::span<const uint8_t> file, std::string_view what);

// Copies the segments into RAM at their load addresses and zeroes their .bss. Every segment
// must lie inside [lowest_allowed, memory.size()); otherwise BadInput naming `what`.
void load_elf(const GuestMemory& memory, std::span<const uint8_t> file, const ElfImage& image, uint64_t lowest_allowed,
              std::string_view what);

// One note: its owner ("Xen", "GNU", "Linux"), type, and descriptor bytes (inside the file).
struct ElfNote {
    std::string name;
    uint32_t type = 0;
    std::span<const uint8_t> description;
};

// The owner and type of the PVH entry note.
inline constexpr std::string_view kXenNoteName = "Xen";
inline constexpr uint32_t kXenElfnotePhys32Entry = 18;

// Every note in every PT_NOTE segment of `file`, which parse_elf has already accepted. A note
// running past its segment or the file is BadInput naming `what`.
std::vector<ElfNote> parse_elf_notes(std::span<const uint8_t> file, std::string_view what);

// The PVH entry (a guest-physical address below 4 GiB) from the XEN_ELFNOTE_PHYS32_ENTRY note,
// or nullopt when there is none. Linux and our guest write it as 8 bytes, others as 4; both
// are read. A descriptor of another size, or an entry at or above 4 GiB, is BadInput.
std::optional<uint32_t> find_pvh_entry(std::span<const uint8_t> file, std::string_view what);

}  // namespace glassvm
