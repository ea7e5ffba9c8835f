// The CPU state at a bzImage's 64-bit entry (Documentation/arch/x86/boot.rst, "64-bit BOOT
// PROTOCOL"): 64-bit mode with paging on and an identity map covering the kernel's init_size
// from its load address, boot_params and the command line; a GDT with a flat execute/read
// __BOOT_CS at 0x10 and a flat read/write __BOOT_DS at 0x18, CS = __BOOT_CS and DS, ES, SS =
// __BOOT_DS; interrupts off; RSI = boot_params. The entry is the load address + 0x200.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/accel/guest_memory.hpp"

namespace glassvm::x86 {

inline constexpr uint16_t kLinuxBootCodeSelector = 0x10;  // __BOOT_CS
inline constexpr uint16_t kLinuxBootDataSelector = 0x18;  // __BOOT_DS
inline constexpr uint16_t kLinuxGdtEntries = 4;

// Writes null, null, __BOOT_CS (64-bit code) and __BOOT_DS (data) at layout::kBootGdt.
void write_linux_boot_gdt(const GuestMemory& memory);

// The long-mode state of direct boot (long_mode.hpp) with Linux's selectors and GDT.
kvm_sregs linux_entry_sregs(kvm_sregs sregs, uint64_t cr3);

// RIP = `entry`, RSI = `boot_params_address`, RSP = the boot stack, only EFLAGS bit 1 set.
kvm_regs linux_entry_regs(uint64_t entry, uint64_t boot_params_address);

}  // namespace glassvm::x86
