// The common boot path both entries reach: install the boot CPU's tables, greet, set up
// interrupts, start the other CPUs, create the first tasks (init, as many times as `tasks=N`
// asks, on the CPU `initcpu=K` names; or the shell, on CPU 0), and join the scheduler.
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

// `tasks=N`, 1 to kMaxTasks; anything else is 1, with a word about it.
size_t task_count() {
    Word value = cmdline_value("tasks");
    if (value.length == 0) return 1;
    size_t count = 0;
    for (size_t i = 0; i < value.length && count <= kMaxTasks; ++i)
        count = value.text[i] >= '0' && value.text[i] <= '9' ? count * 10 + size_t(value.text[i] - '0') : 0;
    if (count >= 1 && count <= kMaxTasks) return count;
    print("glassvm-guest: tasks= wants a number from 1 to 8; running one task\n");
    return 1;
}

// Every init task runs the same program with the same arguments, argv = {"init", words after
// --}, on the CPU `initcpu=K` names. All are created before any is made ready, so the first to
// end cannot end the VM while the others are still being created.
void start_init_tasks() {
    Word arguments[32] = {{"init", 4}};
    size_t count = 1 + cmdline_init_arguments(arguments + 1, 31);
    unsigned cpu = smp_init_cpu();
    Task* created[kMaxTasks];
    size_t wanted = task_count(), made = 0;
    for (; made < wanted; ++made) {
        created[made] = task_spawn_user(arguments, count, nullptr, cpu);
        if (created[made]) continue;
        print("glassvm-guest: memory for only ");
        print_dec(made);
        print(" tasks (try a larger --mem)\n");
        break;
    }
    for (size_t i = 0; i < made; ++i) task_make_ready(created[i]);
}

// `haltall`: every CPU halts with interrupts off, the APs as soon as they are online (smp.cpp),
// the boot CPU here. Nothing can wake the guest; the VMM sees that and ends the VM (status 118).
[[noreturn]] void halt_all() {
    print("haltall: every CPU halts with interrupts off\n");
    cpu_halt_for_good();
}

}  // namespace

[[noreturn]] void kernel_main(const abi::BootInfo& boot) {
    idt_init();
    cpu_init(0);  // this CPU's GDT, TSS, SYSCALL MSRs and local APIC (cpu.cpp)
    serial_init();
    user_memory_init(boot);
    cmdline_init(boot);

    print("glassvm-guest " GLASSVM_VERSION " (x86_64) booting\n");
    Word line = cmdline();
    print("cmdline: ");
    print(line.text, line.length);
    print("\n");

    program_init(boot);
    interrupts_init(boot);
    smp_init(boot);  // the other CPUs: INIT-SIPI-SIPI, each starts its timer; then `cpus=N`
    if (cmdline_has("haltall")) halt_all();
    if (cmdline_has("shell")) {
        task_spawn_kernel(shell_main, 0);  // the shell runs on the boot CPU
    } else if (program_present()) {
        start_init_tasks();
    } else {
        print("glassvm-guest: no init program (pass one with --init)\n");
        exit_vm(abi::kStatusSuccess);
    }
    scheduler_run();  // the boot CPU's idle loop: it runs its tasks from here
}

}  // namespace glassvm::guest
