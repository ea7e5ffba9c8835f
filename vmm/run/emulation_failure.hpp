// Naming the instruction KVM's emulator could not run (KVM_EXIT_INTERNAL_ERROR, suberror
// KVM_INTERNAL_ERROR_EMULATION): "emulation failure at rip 0xffffffff8123abcd: lock cmpxchg16b
// (%rsi)". Where ring-0 guest code is emulated (nested KVM without hardware virtualisation, as
// on this project's development machines), this is how a kernel ends when it meets an
// instruction the emulator lacks. The bytes are those at rip, read through the guest's page
// tables; when rip cannot be read, the ones KVM reports with the exit
// (KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES, Linux 5.14+). Memory comes first: on
// this project's hosts KVM's copy was seen to be stale (a `nop` reported where rip held `int3`).
#pragma once

#include <linux/kvm.h>

#include <string>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/accel/vm_exit.hpp"

namespace glassvm {

// "emulation failure at rip 0x…: lock cmpxchg16b (%rsi)", or with "(bytes … are no instruction
// capstone knows)" / "(rip is not mapped)" when it cannot be decoded.
std::string describe_emulation_failure(const InternalErrorExit& exit, const kvm_regs& regs, const kvm_sregs& sregs,
                                       const GuestMemory& memory);

}  // namespace glassvm
