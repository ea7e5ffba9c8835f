/* Test init program (ring 3): executes an invalid opcode; the guest kernel must kill init
 * with SIGILL (status 128 + 4 = 132). */
    .globl _start
_start:
    ud2
