// The boot page tables: an identity map of guest-physical [0, 4 GiB) with 2 MiB pages, which
// the VMM writes into guest RAM before the first instruction (Intel SDM vol. 3A, 4.5 "4-level
// paging"). The first 2 MiB — kernel, boot tables — are supervisor-only; the rest of RAM and
// the MMIO hole are user-accessible, so the guest's ring-3 program can run there.
#pragma once

#include <cstdint>

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

}  // namespace glassvm::x86
