// The common boot path both entries reach: install the CPU tables, greet, set up interrupts,
// start the other CPUs, start the first tasks (init, as many times as `tasks=N` asks, or the
// shell), and schedule.
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

// Every init task runs the same program with the same arguments: argv = {"init", words after --}.
void start_init_tasks() {
    Word arguments[32] = {{"init", 4}};
    size_t count = 1 + cmdline_init_arguments(arguments + 1, 31);
    size_t wanted = task_count();
    for (size_t i = 0; i < wanted; ++i) {
        if (task_spawn_user(arguments, count, nullptr)) continue;
        print("glassvm-guest: memory for only ");
        print_dec(i);
        print(" tasks (try a larger --mem)\n");
        break;
    }
}

}  // namespace

// On the CPU init runs on (smp_run_init): the init tasks, then this CPU's scheduler.
[[noreturn]] void start_init_and_schedule() {
    start_init_tasks();
    scheduler_start();
}

[[noreturn]] void kernel_main(const abi::BootInfo& boot) {
    idt_init();
    cpu_init(0);  // this CPU's GDT, TSS, SYSCALL MSRs and local APIC (smp.cpp)
    serial_init();
    user_memory_init(boot);
    cmdline_init(boot);

    print("glassvm-guest " GLASSVM_VERSION " (x86_64) booting\n");
    Word line = cmdline();
    print("cmdline: ");
    print(line.text, line.length);
    print("\n");

    program_init(boot);
    bool shell = cmdline_has("shell");
    if (!shell && !program_present()) {
        print("glassvm-guest: no init program (pass one with --init)\n");
        exit_vm(abi::kStatusSuccess);
    }
    interrupts_init(boot);
    smp_init(boot);  // the other CPUs: INIT-SIPI-SIPI, then `cpus=N`
    if (shell) {
        task_spawn_kernel(shell_main);
        scheduler_start();
    }
    smp_run_init();  // init, on the CPU `initcpu=K` names
}

}  // namespace glassvm::guest
