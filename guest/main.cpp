// The common boot path both entries reach: install the CPU tables, greet, start init.
#include "kernel.hpp"

namespace glassvm::guest {

[[noreturn]] void kernel_main(const abi::BootInfo& boot) {
    gdt_init();
    idt_init();
    serial_init();
    syscall_init(boot);
    user_memory_init(boot);
    cmdline_init(boot);

    print("glassvm-guest " GLASSVM_VERSION " (x86_64) booting\n");
    Word line = cmdline();
    print("cmdline: ");
    print(line.text, line.length);
    print("\n");

    exec_init(boot);
}

}  // namespace glassvm::guest
