/* Benchmark kernel: does nothing and exits. Three instructions — write status 0 to the exit port,
 * halt — so `glassvm run exit_now.elf` measures the VMM alone (start, build the machine, one
 * exit, stop), next to kvm_floor's three real-mode instructions to HLT (scripts/bench/boot). */
#include <glassvm/abi.hpp>

    .code64
    .globl _start
_start:
    xorl %eax, %eax
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt
