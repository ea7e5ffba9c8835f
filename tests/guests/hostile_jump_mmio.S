/* Hostile guest: jumps into the MMIO hole, where there is neither RAM nor ROM to fetch
 * instructions from. The CPU cannot run it; glassvm must end the VM with a one-line reason
 * (no crash, no hang). */
    .code64
    .globl _start
_start:
    movl $0xd0000000, %eax
    jmp *%rax
