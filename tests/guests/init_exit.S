/* Test init program (ring 3, Linux x86-64 ABI): exit_group(33). Through the guest kernel the
 * status must reach glassvm's own exit status. */
    .globl _start
_start:
    movl $231, %eax      /* exit_group */
    movl $33, %edi
    syscall
    ud2
