// The common boot path both entries reach: install the CPU tables, greet, start the other
// CPUs, start init.
#include "kernel.hpp"

namespace glassvm::guest {

[[noreturn]] void kernel_main(const abi::BootInfo& boot) {
    idt_init();
    cpu_init(0);  // this CPU's GDT, TSS, SYSCALL MSRs and local APIC (smp.cpp)
    serial_init();
    syscall_init(boot);
    user_memory_init(boot);
    cmdline_init(boot);

    print("glassvm-guest " GLASSVM_VERSION " (x86_64) booting\n");
    Word line = cmdline();
    print("cmdline: ");
    print(line.text, line.length);
    print("\n");

    smp_init(boot);      // the other CPUs: INIT-SIPI-SIPI, then `cpus=N`
    smp_run_init(boot);  // init, on the CPU `initcpu=K` names
}

}  // namespace glassvm::guest
