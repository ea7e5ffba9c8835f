/* Test guest: spins forever with interrupts off; only glassvm's --timeout ends it. */
    .code64
    .globl _start
_start:
    cli
1:  jmp 1b
