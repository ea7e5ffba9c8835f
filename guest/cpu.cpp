// Per-CPU state: the table of PerCpu records (kernel.hpp), the set-up every CPU runs for itself,
// how kernel code finds its own CPU's record, and the wake-up IPI one CPU sends another.
//
// x86 keeps some state per CPU — the GDT and TSS, the IDTR, the SYSCALL MSRs, the local APIC —
// so the boot CPU and each application processor (smp.cpp) run cpu_init(index) for themselves.
// The kernel keeps its own per-CPU state next to it: the running task, the idle loop's stack,
// the earliest sleeper's deadline (scheduler.cpp).
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constinit PerCpu cpus[abi::kMaxCpus] = {};
uint32_t online_count;  // atomic: each CPU adds itself

// Each CPU's idle stack (where it boots and idles; tasks bring their own) and #DF stack: the boot
// CPU's are entry64.S's, the APs' ap_trampoline.S's (slot i - 1 for CPU i).
uint64_t idle_stack_top(unsigned index) {
    if (index == 0) return reinterpret_cast<uint64_t>(kernel_stack_top);
    return reinterpret_cast<uint64_t>(ap_kernel_stacks + index * kApStackSize);
}

uint64_t fault_stack_top_of(unsigned index) {
    if (index == 0) return reinterpret_cast<uint64_t>(fault_stack_top);
    return reinterpret_cast<uint64_t>(ap_fault_stacks + index * kApFaultStackSize);
}

}  // namespace

void cpu_init(unsigned index) {
    PerCpu& cpu = cpus[index];
    cpu.index = index;
    cpu.kernel_stack_top = idle_stack_top(index);
    cpu.next_wake_ns = UINT64_MAX;
    cpu.last_slot = kMaxTasks - 1;
    gdt_init(index, cpu.kernel_stack_top, fault_stack_top_of(index));
    if (index == 0)
        idt_set_interrupt_gate(kWakeupVector, wakeup_interrupt_entry);  // the IDT is shared
    else
        idt_load();
    syscall_init_cpu(cpu);  // also IA32_KERNEL_GS_BASE = &cpu, for this_cpu()
    lapic_init();
    cpu.apic_id = lapic_id();
}

// IA32_KERNEL_GS_BASE holds this CPU's record (syscall.cpp). Ring 3 cannot change it (only
// WRMSR and SWAPGS can, both privileged), and outside syscall_entry's two SWAPGS, which leave
// it as they found it, it always holds the record; reading it is one RDMSR.
PerCpu& this_cpu() { return *reinterpret_cast<PerCpu*>(x86::read_msr(x86::kMsrKernelGsBase)); }

PerCpu& cpu_record(unsigned index) { return cpus[index]; }

void cpu_mark_online(unsigned index) {
    __atomic_store_n(&cpus[index].online, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&online_count, 1, __ATOMIC_RELEASE);
}

bool cpu_is_online(unsigned index) {
    return index < abi::kMaxCpus && __atomic_load_n(&cpus[index].online, __ATOMIC_ACQUIRE) != 0;
}

uint32_t cpus_online() { return __atomic_load_n(&online_count, __ATOMIC_ACQUIRE); }

// A fixed IPI to the CPU's APIC id. Its handler (trap_entry.S) only acknowledges it: it exists
// to end the CPU's `sti; hlt` so that its idle loop looks at the run queue again at once.
void cpu_wake(unsigned index) {
    if (index != this_cpu().index) lapic_send_ipi(IpiTarget::One, cpus[index].apic_id, IpiKind::Fixed, kWakeupVector);
}

// Each CPU's last act when the kernel has nothing left for any CPU (`haltall`): no timer, no
// interrupts, HLT. Only INIT, NMI or SMI could wake it; the VMM sees every CPU asleep for good.
[[noreturn]] void cpu_halt_for_good() {
    lapic_timer_stop();
    x86::halt_forever();
}

}  // namespace glassvm::guest
