/* Test ROM (a 4 KiB boot ROM, not a kernel): from the reset vector, in real mode, it writes 0x5a
 * over a byte of itself, reads the byte back and writes what it read to the exit port. The ROM is
 * read-only, so glassvm must report the write, drop it, and the VM must exit with the original
 * byte, 42. */
#include "rom.h"

    .section .text.16, "ax"
    .code16
start:
    movb    $0x5a, %cs:(marker - RESET_CS_BASE)   /* KVM_EXIT_MMIO write: reported, dropped */
    movb    %cs:(marker - RESET_CS_BASE), %al
    out     %al, $GLASSVM_ABI_EXIT_PORT
1:  hlt
    jmp     1b

    .section .rodata
marker:
    .byte   42

    .section .reset, "ax"
    .code16
    .globl reset_vector
reset_vector:
    jmp     start
