/* Test guest: writes status 7 to the exit device; glassvm must exit with status 7. */
#include "ports.inc"
    .code64
    .globl _start
_start:
    movb $7, %al
    outb %al, $EXIT_PORT
    hlt
