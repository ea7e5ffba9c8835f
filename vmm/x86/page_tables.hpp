// The boot page tables: an identity map of guest-physical [0, 4 GiB) with 2 MiB pages, which
// the VMM writes into guest RAM before the first instruction (Intel SDM vol. 3A, 4.5 "4-level
// paging"). The first 2 MiB — kernel, boot tables — are supervisor-only; the rest of RAM and
// the MMIO hole are user-accessible, so the guest's ring-3 program can run there. Also the other
// way: walking the guest's own page tables to translate a guest-virtual address (SDM 4.5), and
// reading guest memory the way the guest sees it, for the debuggers and exit reports.
#pragma once

#include <cstdint>

#include <functional>
#include <optional>
#include <string>
#include <vector>
#include "vmm/accel/guest_memory.hpp"

namespace glassvm::x86 {

// Page-table entry bits (SDM vol. 3A, tables 4-15 to 4-19).
inline constexpr uint64_t kPtePresent = 1ull << 0;
inline constexpr uint64_t kPteWritable = 1ull << 1;
inline constexpr uint64_t kPteUser = 1ull << 2;
inline constexpr uint64_t kPteLargePage = 1ull << 7;  // PS: this entry maps 2 MiB / 1 GiB
inline constexpr uint64_t kPteAddressMask = 0x000F'FFFF'FFFF'F000ull;

// Writes PML4, PDPT and four page directories at layout::kPml4.. and returns the value for
// CR3. Guest RAM must cover layout::kBootTablesEnd.
uint64_t build_identity_page_tables(const GuestMemory& memory);

// The physical address for `virtual_address` under CR3 = `cr3`, or nullopt when a table entry
// is not present or a table lies outside RAM. With paging off (cr0_pg false) the address is
// returned unchanged.
std::optional<uint64_t> translate(const GuestMemory& memory, uint64_t cr3, bool paging_enabled,
                                  uint64_t virtual_address);

}  // namespace glassvm::x86

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
