/* Test init program (ring 3): spins forever; only glassvm's --timeout ends it. With --cpus N
 * the other CPUs idle halted in the kernel, so a timeout report shows both kinds of vCPU. */
    .globl _start
_start:
1:  jmp 1b
