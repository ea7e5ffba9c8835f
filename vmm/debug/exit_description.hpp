// What the exit stepper prints about the stopped vCPU: one line for the exit (its sequence,
// vCPU, reason and details), the general-purpose registers, and — for `regs` — the segment,
// control and descriptor-table registers. Pure formatting: unit-testable with made-up values.
#pragma once

#include <linux/kvm.h>

#include <string>

#include "debug/disassembler.hpp"
#include "devices/io_bus.hpp"
#include "run/vcpu_observer.hpp"

namespace glassvm {

// "exit #3 on vCPU 0 at 1.234 ms (11 µs in the guest): IO out port=0xf4 size=1 data=0x7 -> exit"
std::string describe_exit_event(const ExitEvent& event, const IoBus& bus);
// The part after the colon above: the exit in the exit trace's words (exit_format.hpp) and the
// device the bus will hand it to. A read's data is not known before it is handled.
std::string describe_exit_details(const VmExit& exit, const IoBus& bus);

// rax…r15, rip and rflags (with its flags named), five indented lines.
std::string format_general_registers(const kvm_regs& regs);
// cs…ss, tr, ldtr; cr0, cr2, cr3, cr4, cr8 and EFER (bits named); GDT and IDT base and limit.
std::string format_system_registers(const kvm_sregs& sregs);

// The code size the vCPU executes in now (EFER.LMA with CS.L, CR0.PE, CS.D).
CpuMode cpu_mode(const kvm_sregs& sregs);

}  // namespace glassvm
