// Which instruction caused an exit, when rip no longer points at it. KVM moves rip past an
// instruction it has finished before the exit reaches us: HLT, an MMIO write (the emulator
// completes the store, then asks the VMM to perform it), and on some hosts an OUT. A read (IN,
// an MMIO load) waits at its instruction for the data. x86 code cannot be decoded backwards
// with certainty, so this looks for an instruction that ends exactly at rip and matches the
// exit — an IN/OUT of the exit's port and direction, the one instruction with a memory operand
// (its destination, for a store), a HLT — and gives up rather than guess.
#pragma once

#include <linux/kvm.h>

#include <optional>

#include "vmm/accel/vm_exit.hpp"
#include "vmm/x86/disassembler.hpp"
#include "vmm/x86/page_tables.hpp"

namespace glassvm {

// The instruction that ends at `regs.rip` and caused `exit`, when the instruction at rip is
// not itself the cause; nullopt when rip is at the cause, or when it cannot be told.
std::optional<Instruction> find_exiting_instruction(const GuestMemory& memory, const Translate& translate,
                                                    const VmExit& exit, const kvm_regs& regs, CpuMode mode);

}  // namespace glassvm
