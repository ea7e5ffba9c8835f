/* Test init program (ring 3): writes to address 0, which lies in the kernel's supervisor-only
 * 2 MiB. The guest kernel must kill init with SIGSEGV (status 128 + 11 = 139), not die itself. */
    .globl _start
_start:
    movq $0, %rax
    movq $1, (%rax)
    ud2
