// The CPU state after RESET (Intel SDM vol. 3A, 9.1.1 "Processor State After Reset", Table
// 9-1), where the firmware boot path starts the boot vCPU: real mode, CS.selector 0xF000 with
// CS.base 0xFFFF0000 and IP 0xFFF0, so the first fetch is at 0xFFFFFFF0.
//
// A fresh KVM vCPU already has almost exactly this state (measured with KVM_GET_SREGS/REGS
// right after KVM_CREATE_VCPU; firmware/README.md lists it). glassvm still sets it explicitly,
// so the boot does not depend on KVM's defaults, and fixes the one field KVM leaves different:
// EDX, which on real hardware holds the processor signature (family, model, stepping) and on a
// new KVM vCPU is 0x600, because KVM resets the vCPU before its CPUID is set.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace glassvm::x86 {

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
