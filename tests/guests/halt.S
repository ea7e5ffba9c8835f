/* Test guest: halts with interrupts off, so nothing can wake it: glassvm exits 118. */
    .code64
    .globl _start
_start:
    cli
    hlt
