// Stage 3, 64-bit long mode: learn where the kernel and its BootInfo are, and enter the kernel
// exactly as glassvm's direct boot does (guest/README.md, "Direct boot"): RDI = boot magic,
// RSI = &BootInfo, CS = 0x08, data segments 0x10, paging on with an identity map, interrupts
// off. The VMM loaded the kernel, the init program and the BootInfo into RAM itself: copying
// them through a port would cost a VM exit per access.

#include "rom.h"

    .section .text.64, "ax"
    .code64
    .globl long_mode_start
long_mode_start:
    mov     %rbp, %rsp                      // a stack, for a kernel that wants one: below the tables
    config_select GLASSVM_ABI_FW_ITEM_KERNEL_ENTRY
    config_read64
    mov     %rax, %rbx
    config_select GLASSVM_ABI_FW_ITEM_BOOT_INFO
    config_read64
    mov     %rax, %rsi
    movabs  $GLASSVM_ABI_BOOT_MAGIC, %rdi
    jmp     *%rbx
