// The CPU state for direct boot: what a boot loader would have done to reach 64-bit long mode
// (Intel SDM vol. 3A, 9.8.5 "Initializing IA-32e Mode"), applied with KVM_SET_SREGS/REGS.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

namespace glassvm::x86 {

// Control-register and EFER bits used at boot (SDM vol. 3A, 2.5 and 2.2.1).
inline constexpr uint64_t kCr0Pe = 1ull << 0, kCr0Mp = 1ull << 1, kCr0Et = 1ull << 4, kCr0Ne = 1ull << 5,
                          kCr0Wp = 1ull << 16, kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr4Pae = 1ull << 5, kCr4Osfxsr = 1ull << 9, kCr4Osxmmexcpt = 1ull << 10;
inline constexpr uint64_t kEferLme = 1ull << 8, kEferLma = 1ull << 10;

// Returns `sregs` switched to long mode: paging with CR3 = `cr3`, the boot GDT, flat 64-bit
// code and data segments. Everything else in `sregs` (APIC base, …) is kept.
kvm_sregs long_mode_sregs(kvm_sregs sregs, uint64_t cr3);

// General registers at the kernel's 64-bit entry: RIP = entry, RDI = boot magic,
// RSI = BootInfo address, RSP = boot stack, RFLAGS with only the reserved bit 1 set.
kvm_regs boot_regs(uint64_t entry, uint64_t boot_info_address);

}  // namespace glassvm::x86
