/* Test guest: reads and writes a guest-physical address in the MMIO hole that no device
 * claims. A read must return all ones and a write must be dropped; the guest reports what it
 * saw through the exit port: 42 when the read gave 0xffffffff, 1 otherwise. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    movl $0xE0000000, %ebx
    movl $0x12345678, (%rbx)     /* write: dropped */
    movl (%rbx), %eax            /* read: all ones */
    cmpl $0xffffffff, %eax
    jne 1f
    movb $42, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
1:  movb $1, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
