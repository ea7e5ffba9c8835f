// Reading guest memory the way the guest sees it, for the debuggers: at a guest-virtual
// address through the guest's own page tables, or at a guest-physical one. A read goes page by
// page, because consecutive virtual pages need not be consecutive in RAM (an instruction may
// straddle two pages), and stops at the first byte that is unmapped or outside RAM, saying so.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vmm/accel/guest_memory.hpp"

namespace glassvm {

// A guest address as the user gave it.
struct GuestAddress {
    uint64_t value;
    bool physical;  // guest-physical; otherwise guest-virtual
};

// Guest-virtual → guest-physical (VcpuContext::translate); nullopt when not mapped.
using Translate = std::function<std::optional<uint64_t>(uint64_t)>;

struct GuestBytes {
    std::vector<uint8_t> bytes;  // what could be read, from the start address on
    std::string shortfall;       // why fewer bytes than asked were read; empty when all were
};

// Up to `length` bytes at `address`; `translate` is used for guest-virtual addresses only.
GuestBytes read_guest(const GuestMemory& memory, const Translate& translate, GuestAddress address, uint64_t length);

}  // namespace glassvm
