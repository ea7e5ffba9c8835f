// The PC's interrupt hardware, emulated inside KVM: the two 8259A PICs, the I/O APIC and a local
// APIC per vCPU (KVM_CREATE_IRQCHIP), the 8254 PIT (KVM_CREATE_PIT2), and the ISA interrupt
// lines devices raise and lower (KVM_IRQ_LINE). Documentation/virt/kvm/api.rst describes each.
// Called by KvmVm (vmm/kvm/kvm_vm.hpp); above the seam they are VirtualMachine::set_irq_line and VmOptions.
#pragma once

#include <cstdint>

#include "vmm/kvm/kvm_system.hpp"
#include "vmm/kvm/kvm_vm.hpp"

namespace glassvm {

// KVM_CREATE_IRQCHIP: the PICs and the IOAPIC now, a local APIC in every vCPU created later (so
// this must come before the first KVM_CREATE_VCPU). GSIs 0-15 are routed to both the PICs and
// the IOAPIC's pins 0-15, as the ISA lines of a PC are. From here on KVM handles HLT itself:
// a halted vCPU sleeps inside KVM_RUN until an interrupt wakes it.
void create_interrupt_controllers(const KvmSystem& kvm, const KvmVm& vm);

// KVM_CREATE_PIT2: an 8254 timer on ports 0x40-0x43 whose channel 0 drives IRQ 0, and port 0x61
// (gate and output of channel 2, as guests use to calibrate clocks) with a dummy PC speaker.
// Needs the interrupt controllers first.
void create_pit(const KvmSystem& kvm, const KvmVm& vm);

enum class LineLevel {
    Low,
    High
};

// KVM_IRQ_LINE: drives ISA interrupt line `irq` (GSI) to `level`. An edge-triggered input (the
// 8259's ISA default) sees an interrupt on the rise from Low to High. Callable from any thread.
void set_irq_line(const KvmVm& vm, uint32_t irq, LineLevel level);

}  // namespace glassvm
