/* Hostile guest: floods the serial port, never waiting for the transmitter (it ignores LSR's
 * THRE bit). 25 × 4096 bytes of a fixed 64-byte line go to THR with `rep outsb`, then status 0.
 * glassvm must pass every byte on, in order, even when its stdout is slow, with bounded memory:
 * a byte leaves the VMM before the vCPU runs on. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    movl $25, %ebx
1:  leaq pattern(%rip), %rsi
    movl $4096, %ecx
    movw $GLASSVM_ABI_SERIAL_PORT, %dx
    rep outsb
    decl %ebx
    jnz 1b
    movb $0, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt

pattern:
    .rept 64
    .ascii "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!\n" /* 64 bytes */
    .endr
    .if . - pattern != 4096
    .error "the pattern must be 4096 bytes"
    .endif
