// Stage 1, 16-bit real mode: open the A20 gate, load the GDT, enter protected mode.
//
// Still CS.base = 0xFFFF0000 (reset.S), so every ROM address is written `symbol -
// RESET_CS_BASE` with a %cs override, as real firmware does before its first far jump.

#include "rom.h"

    .section .text.16, "ax"
    .code16
    .globl real_mode_start
real_mode_start:
    // A20 through System Control Port A (the PS/2 "fast A20" port, 0x92): bit 1 opens the gate
    // so that address line 20 is no longer forced to 0. Read-modify-write, and never set bit 0:
    // writing 1 there resets the machine. Then read it back: the VMM's gate must report it open.
    in      $GLASSVM_ABI_SYSTEM_CONTROL_PORT_A, %al
    or      $GLASSVM_ABI_A20_ENABLE_BIT, %al
    and     $0xfe, %al
    out     %al, $GLASSVM_ABI_SYSTEM_CONTROL_PORT_A
    in      $GLASSVM_ABI_SYSTEM_CONTROL_PORT_A, %al
    test    $GLASSVM_ABI_A20_ENABLE_BIT, %al
    jz      a20_failed

    // The GDT (gdt.S) lives in this ROM. LGDT with a 32-bit operand size takes the full 32-bit
    // base (0xFFFFxxxx); the descriptor itself is read through CS.
    lgdtl   %cs:(gdt_pointer - RESET_CS_BASE)

    // Protected mode: set CR0.PE, then at once a far jump, which loads CS from the GDT and
    // discards what was prefetched in real mode (SDM vol. 3A, 9.9.1 "Switching to Protected
    // Mode", steps 3-4). A 32-bit offset (ljmpl) reaches the 32-bit code at 0xFFFFxxxx.
    mov     %cr0, %eax
    or      $CR0_PE, %eax
    mov     %eax, %cr0
    ljmpl   $CODE32_SELECTOR, $protected_mode_start

// The gate did not open: say so on COM1 (REP OUTSB reads DS:SI, here CS:SI), stop the VM with
// kStatusFirmwareFailed.
a20_failed:
    mov     $(a20_message - RESET_CS_BASE), %si
    mov     $(a20_message_end - a20_message), %cx
    mov     $COM1_DATA, %dx
    rep outsb %cs:(%si), (%dx)
    mov     $GLASSVM_ABI_STATUS_FIRMWARE_FAILED, %al
    out     %al, $GLASSVM_ABI_EXIT_PORT
1:  hlt
    jmp     1b

    .section .rodata.messages, "a"
a20_message:
    .ascii  "glassvm firmware: the A20 gate did not open (port 0x92 bit 1 reads 0)\r\n"
a20_message_end:
