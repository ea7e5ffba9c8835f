// Reading and writing guest memory by guest-virtual address, as gdb's m/M/X packets and
// software breakpoints need: each page is translated through the guest's own page tables
// (x86/page_walk.hpp), so an address the guest has not mapped is an error, never a crash.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "vmm/accel/guest_memory.hpp"

namespace glassvm::gdb {

// Guest-virtual → guest-physical (VcpuContext::translate in the VMM, a fake in tests).
using Translate = std::function<std::optional<uint64_t>(uint64_t virtual_address)>;

class GuestAccess {
public:
    GuestAccess(const GuestMemory& memory, Translate translate) : m_memory(memory), m_translate(std::move(translate)) {}

    // Up to `length` bytes from `address`: everything up to the first byte that is unmapped or
    // not RAM (so an empty result means the first byte is not readable).
    std::vector<uint8_t> read(uint64_t address, size_t length) const;
    // All of `data` at `address`, or nothing (false) when any byte is not writable RAM.
    bool write(uint64_t address, std::span<const uint8_t> data) const;

private:
    // The host view of the part of [address, address + length) that lies in one guest page.
    std::optional<std::span<uint8_t>> page_slice(uint64_t address, size_t length) const;

    const GuestMemory& m_memory;
    Translate m_translate;
};

}  // namespace glassvm::gdb
