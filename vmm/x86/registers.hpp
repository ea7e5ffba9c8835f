// Printing an x86 vCPU's registers, the one register dump every report uses (the exit
// stepper, the GDB stub's monitor, an exit that ends the VM). Pure formatting: unit-testable
// with made-up values.
#pragma once

#include <linux/kvm.h>

#include <string>

#include "vmm/x86/disassembler.hpp"

namespace glassvm {

// rax…r15, rip and rflags (with its flags named), five indented lines.
std::string format_general_registers(const kvm_regs& regs);
// cr0, cr2, cr3, cr4, cr8 and EFER (bits named), and the APIC base: three indented lines.
std::string format_control_registers(const kvm_sregs& sregs);
// cs…ss, tr, ldtr; the control registers as above; GDT and IDT base and limit.
std::string format_system_registers(const kvm_sregs& sregs);

// The code size the vCPU executes in now (EFER.LMA with CS.L, CR0.PE, CS.D).
CpuMode cpu_mode(const kvm_sregs& sregs);

}  // namespace glassvm
