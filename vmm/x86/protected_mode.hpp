// The CPU state at a PVH entry (Xen's docs/misc/pvh.pandoc, "x86/HVM direct boot ABI"): 32-bit
// protected mode with paging off — CR0.PE set, CR0.PG clear; CS a flat 4 GiB 32-bit
// execute/read code segment; DS, ES, SS flat 4 GiB read/write data segments; TR a 32-bit TSS
// (base 0, limit 0x67); EFLAGS with IF, VM and TF clear; EBX = the hvm_start_info's address.
// The kernel builds its own page tables from there. The boot GDT written here describes the
// same segments, so a kernel that reloads a selector before its own lgdt gets what it had.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/x86/gdt.hpp"

namespace glassvm::x86 {

inline constexpr uint16_t kPvhCodeSelector = 0x08;
inline constexpr uint16_t kPvhDataSelector = 0x10;
inline constexpr uint16_t kPvhTssSelector = 0x18;
inline constexpr uint16_t kPvhGdtEntries = 4;

SegmentDescriptor flat_code32_descriptor();
SegmentDescriptor flat_data32_descriptor();
SegmentDescriptor pvh_tss_descriptor();  // a busy 32-bit TSS at 0, limit 0x67 (SDM vol. 3A, 7.2.2)

// Writes null, code, data and TSS descriptors at layout::kBootGdt.
void write_pvh_gdt(const GuestMemory& memory);

// `sregs` switched to the PVH entry state above (APIC base and the rest kept).
kvm_sregs pvh_entry_sregs(kvm_sregs sregs);

// EIP = `entry`, EBX = `start_info_address`, EFLAGS = only the reserved bit 1.
kvm_regs pvh_entry_regs(uint32_t entry, uint64_t start_info_address);

}  // namespace glassvm::x86
