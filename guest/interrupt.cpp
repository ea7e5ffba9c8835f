// Interrupts: setting up the path a device's interrupt takes (I/O APIC → local APIC → IDT), and
// what each vector does. docs/INTERRUPTS.md follows one interrupt along that path.
//
// The kernel itself never runs with interrupts enabled, except while idle (`sti; hlt`): ring 3
// runs with IF = 1, so interrupts arrive from user programs or from the idle loop, and a handler
// never interrupts kernel code (nor a CPU holding a lock). Handlers are kept tiny: ring 0 is
// emulated instruction by instruction on our development hosts (~1-2 µs each).
//
// Every CPU has its own timer (started by smp.cpp's ap_main on the APs): each tick drives that
// CPU's sleepers and time slices. Only the boot CPU's ticks count as the clock's ticks, so the
// count keeps meaning "10 ms passed" whatever the number of CPUs. Device interrupts (COM1) go to
// the boot CPU; the wake-up IPI between CPUs has its own tiny entry (trap_entry.S).
#include "kernel.hpp"

namespace glassvm::guest {

// On the boot CPU, after cpu_init(0) enabled its local APIC.
void interrupts_init(const abi::BootInfo& boot) {
    pic_disable();
    ioapic_route(abi::kSerialIrq, kSerialVector, lapic_id());
    uint64_t tsc_khz = boot.tsc_khz;
    lapic_timer_calibrate(kTickHz, tsc_khz);
    lapic_timer_start();
    clock_init(tsc_khz);
    serial_enable_receive_interrupt();
    input_interrupt();  // what arrived before the interrupt was on raised no edge: collect it now
}

// From trap_dispatch, for vectors 32-63. The end-of-interrupt goes first: the timer handler may
// switch to another task, and the local APIC must not keep this vector in service meanwhile.
void interrupt_dispatch(TrapFrame& frame) {
    switch (frame.vector) {
        case kTimerVector:
            lapic_end_of_interrupt();
            if (this_cpu().index == 0) clock_tick();
            scheduler_tick((frame.cs & 3) == 3);
            return;
        case kSerialVector:
            lapic_end_of_interrupt();
            input_interrupt();
            return;
        default:
            // kSpuriousVector needs no EOI (SDM Vol. 3A §11.9); no other vector is ever routed.
            return;
    }
}

}  // namespace glassvm::guest
