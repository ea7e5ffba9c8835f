// ELF64 executables (System V gABI, "ELF-64 Object File Format"): checking a file is an
// x86-64 executable glassvm can boot, and copying its PT_LOAD segments into guest RAM. Pure:
// no ioctls, only bytes in and bytes out, so every malformed input is unit-testable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace glassvm
