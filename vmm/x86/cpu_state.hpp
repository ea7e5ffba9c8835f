// The CPU states the boot paths start the boot vCPU in, as register values for
// VirtualCpu::set_sregs/set_regs: long mode for direct boot (what a boot loader would have done,
// Intel SDM vol. 3A, 9.8.5 "Initializing IA-32e Mode"); 32-bit protected mode for PVH; Linux's
// 64-bit entry; and the state after RESET for the firmware path (SDM Table 9-1).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>
#include "vmm/accel/guest_memory.hpp"
#include "vmm/x86/gdt.hpp"

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

inline constexpr uint16_t kLinuxBootCodeSelector = 0x10;  // __BOOT_CS
inline constexpr uint16_t kLinuxBootDataSelector = 0x18;  // __BOOT_DS
inline constexpr uint16_t kLinuxGdtEntries = 4;

// Writes null, null, __BOOT_CS (64-bit code) and __BOOT_DS (data) at layout::kBootGdt.
void write_linux_boot_gdt(const GuestMemory& memory);

// The long-mode state of direct boot (above) with Linux's selectors and GDT.
kvm_sregs linux_entry_sregs(kvm_sregs sregs, uint64_t cr3);

// RIP = `entry`, RSI = `boot_params_address`, RSP = the boot stack, only EFLAGS bit 1 set.
kvm_regs linux_entry_regs(uint64_t entry, uint64_t boot_params_address);

inline constexpr uint16_t kResetCodeSelector = 0xF000;
inline constexpr uint64_t kResetCodeBase = 0xFFFF'0000;
inline constexpr uint64_t kResetInstructionPointer = 0xFFF0;
inline constexpr uint64_t kResetCr0 = 0x6000'0010;  // CD | NW | ET
// What KVM puts in EDX at vCPU creation (a family 6 signature) when it knows no better.
inline constexpr uint32_t kDefaultProcessorSignature = 0x600;

// `sregs` with every field Table 9-1 names set to its reset value: real-mode segments, CR0,
// CR2, CR3, CR4, EFER, GDTR and IDTR. TR, LDTR and the APIC base are kept as KVM has them.
kvm_sregs reset_sregs(kvm_sregs sregs);

// RIP = 0xFFF0, RFLAGS = 0x2, EDX = `processor_signature`, every other register 0.
kvm_regs reset_regs(uint32_t processor_signature);

// CPUID.01H:EAX from a vCPU's CPUID (the value Table 9-1 puts in EDX), or
// kDefaultProcessorSignature when leaf 1 is absent.
uint32_t processor_signature(const std::vector<kvm_cpuid_entry2>& cpuid);

}  // namespace glassvm::x86
