/* Benchmark kernel: the cost of one MMIO exit as the guest sees it; exit_loop.S's twin. Entered
 * like the real kernel (64-bit long mode, RSI = BootInfo), it times ITERATIONS one-byte writes to
 * MMIO_ADDRESS, in the MMIO hole where no device and no RAM lives (the VMM's bus drops the write
 * and counts it, so each write is a full trip to the VMM and back), with RDTSC, prints
 * "mmio_loop iterations=N cycles=C tsc_khz=K" on COM1 and writes status 0 to the exit port.
 * The direct-boot identity map covers the hole (docs/ARCHITECTURE.md), so no page tables are
 * needed here. As in exit_loop.S, dec/jnz run in ring 0, emulated on nested development hosts. */
#include <glassvm/abi.hpp>
#include "bench_kernel.inc"

#define MMIO_ADDRESS 0xd0000000

    .code64
    .globl _start
_start:
    movq BOOT_INFO_TSC_KHZ(%rsi), %r15
    movl $ITERATIONS, %ecx
    movl $MMIO_ADDRESS, %edi
    read_tsc %r12              /* start */
1:  movb %al, (%rdi)
    decl %ecx
    jnz 1b
    read_tsc %r13
    subq %r12, %r13            /* cycles */

    movq $ITERATIONS, %r14
    leaq name(%rip), %rsi
    jmp bench_report            /* report.S */

name: .asciz "mmio_loop"
