// The reset vector: the first bytes a PC executes.
//
// After RESET (or power-on) the CPU is in real mode with CS.selector = 0xF000 but the hidden
// CS.base = 0xFFFF0000 and IP = 0xFFF0, so its first fetch is from physical 0xFFFFFFF0, 16 bytes
// below 4 GiB, where the end of this ROM is mapped (SDM vol. 3A, 9.1.4 "First Instruction
// Executed"). Sixteen bytes are room for little more than a jump: to real_mode_start, in the
// same 64 KiB code segment, so a near jump (IP-relative) reaches it without reloading CS.
// The linker script (rom.ld) places this section at the ROM's last 16 bytes.

#include "rom.h"

    .section .reset, "ax"
    .code16
    .globl reset_vector
reset_vector:
    cli                             // interrupts are off at reset already; say so
    cld
    jmp     real_mode_start
