/* The benchmark kernels' common ending: prints "NAME iterations=N cycles=C tsc_khz=K" on COM1
 * and writes status 0 to the exit port. Called (jumped to) with RSI = NAME (NUL-terminated),
 * R14 = iterations, R13 = TSC cycles the loop took, R15 = TSC kHz (from BootInfo). The VMM's UART
 * transmits at once, so no LSR polling is needed here. */
#include <glassvm/abi.hpp>

    .code64
    .globl bench_report
bench_report:
    call puts
    leaq msg_iterations(%rip), %rsi
    call puts
    movq %r14, %rax
    call putu
    leaq msg_cycles(%rip), %rsi
    call puts
    movq %r13, %rax
    call putu
    leaq msg_khz(%rip), %rsi
    call puts
    movq %r15, %rax
    call putu
    movb $'\n', %al
    call putc
    xorl %eax, %eax
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt

/* putc: AL → COM1 THR. */
putc:
    movw $GLASSVM_ABI_SERIAL_PORT, %dx
    outb %al, %dx
    ret

/* puts: the NUL-terminated string at RSI. */
puts:
    movb (%rsi), %al
    testb %al, %al
    jz 2f
    call putc
    incq %rsi
    jmp puts
2:  ret

/* putu: RAX in decimal. */
putu:
    leaq digits_end(%rip), %rdi
    movq $10, %rbx
3:  xorl %edx, %edx
    divq %rbx
    addb $'0', %dl
    decq %rdi
    movb %dl, (%rdi)
    testq %rax, %rax
    jnz 3b
    movq %rdi, %rsi
    jmp puts

msg_iterations: .asciz " iterations="
msg_cycles:     .asciz " cycles="
msg_khz:        .asciz " tsc_khz="
digits:         .space 24
digits_end:     .byte 0
