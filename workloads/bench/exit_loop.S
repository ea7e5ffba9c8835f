/* Benchmark kernel: the cost of one VM exit as the guest sees it. Entered like the real kernel
 * (64-bit long mode, RSI = BootInfo), it times ITERATIONS port writes to the UART's scratch
 * register (a real device register with no side effect, so every write is a full trip to the
 * VMM and back) with RDTSC, prints "exit_loop iterations=N cycles=C tsc_khz=K" on COM1 and
 * writes status 0 to the exit port. scripts/bench/ turns that into nanoseconds per exit.
 * doorbell_loop.S reuses this loop with LOOP_PORT = the doorbell, which KVM answers itself.
 * The loop's own instructions (dec, jnz) run in ring 0, which this project's nested
 * development hosts emulate (~1 µs each); on real VT-x they are native and cost nothing. */
#include <glassvm/abi.hpp>
#include "bench_kernel.inc"

#ifndef LOOP_PORT
#define LOOP_PORT (GLASSVM_ABI_SERIAL_PORT + 7) /* the UART's scratch register */
#define LOOP_NAME "exit_loop"
#endif

    .code64
    .globl _start
_start:
    movq BOOT_INFO_TSC_KHZ(%rsi), %r15
    movl $ITERATIONS, %ecx
    movw $LOOP_PORT, %dx
    read_tsc %r12              /* start */
    movw $LOOP_PORT, %dx
1:  outb %al, %dx
    decl %ecx
    jnz 1b
    read_tsc %r13
    subq %r12, %r13            /* cycles */

    movq $ITERATIONS, %r14
    leaq name(%rip), %rsi
    jmp bench_report            /* report.S */

name: .asciz LOOP_NAME
