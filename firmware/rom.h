/* What every stage of the boot ROM shares: where the CPU's first code segment starts, the GDT
 * selectors, the control-register bits, and the two macros that talk to the VMM's firmware
 * configuration interface (abi/glassvm/abi.hpp, firmware/README.md). Included by .S files only. */
#pragma once

#include <glassvm/abi.hpp>

/* After RESET, CS.base is 0xFFFF0000 (SDM vol. 3A, 9.1.4 "First Instruction Executed"): until
 * the far jump into protected mode, 16-bit code addresses the ROM as `symbol - RESET_CS_BASE`. */
#define RESET_CS_BASE 0xffff0000

/* The ROM's GDT (gdt.S). 0x08 and 0x10 are what the kernel's direct-boot contract asks for. */
#define CODE64_SELECTOR 0x08
#define DATA_SELECTOR 0x10
#define CODE32_SELECTOR 0x18

/* Control registers and EFER (SDM vol. 3A, 2.5 "Control Registers", 2.2.1 "EFER"). */
#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

/* Page-table entry bits (SDM vol. 3A, 4.5 "4-Level Paging"): present, writable, large page. */
#define PTE_PRESENT_WRITABLE 0x03
#define PTE_LARGE_PAGE 0x80

/* CPUID.80000001H:EDX bit 26: the CPU can map 1 GiB pages (SDM vol. 2A, CPUID). */
#define CPUID_EXTENDED_FEATURES 0x80000001
#define CPUID_EDX_PAGE_1GB 26

#define COM1_DATA GLASSVM_ABI_SERIAL_PORT

#ifdef __ASSEMBLER__

/* Selects configuration item `key`: one 16-bit write to the selector port (one VM exit).
 * Clobbers AX, DX. Works in 16-, 32- and 64-bit code. */
.macro config_select key
    mov     $\key, %ax
    mov     $GLASSVM_ABI_FIRMWARE_CONFIG_SELECTOR_PORT, %dx
    out     %ax, %dx
.endm

/* Reads the next four bytes of the selected item into EAX (one VM exit). Clobbers DX. */
.macro config_read32
    mov     $GLASSVM_ABI_FIRMWARE_CONFIG_DATA_PORT, %dx
    in      %dx, %eax
.endm

/* 64-bit code only: reads the selected item's eight bytes into RAX (two exits). Clobbers RCX, DX. */
.macro config_read64
    config_read32
    mov     %eax, %ecx
    in      %dx, %eax
    shl     $32, %rax
    or      %rcx, %rax
.endm

#endif
