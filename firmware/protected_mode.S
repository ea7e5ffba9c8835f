// Stage 2, 32-bit protected mode: ask the VMM where the page tables may go, build an identity
// map of the first 4 GiB, and switch on long mode (SDM vol. 3A, 9.8.5 "Initializing IA-32e
// Mode").
//
// Ring 0 code may run in KVM's instruction emulator (about 1-2 µs per instruction on nested
// hosts) and every port access is a VM exit, so this stage reads three configuration items and
// builds the tables with one REP STOSL, a handful of stores and at most one REP MOVSL.

#include "rom.h"

    .section .text.32, "ax"
    .code32
    .globl protected_mode_start
protected_mode_start:
    mov     $DATA_SELECTOR, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %ax, %fs
    mov     %ax, %gs

    // Is the VMM's configuration interface there, and does it speak our version?
    config_select GLASSVM_ABI_FW_ITEM_SIGNATURE
    config_read32
    cmp     $GLASSVM_ABI_FIRMWARE_CONFIG_SIGNATURE, %eax
    jne     config_failed
    config_select GLASSVM_ABI_FW_ITEM_VERSION
    config_read32
    cmp     $GLASSVM_ABI_FIRMWARE_CONFIG_VERSION, %eax
    jne     config_failed

    // Where the 24 KiB of page tables go: PML4 at +0, PDPT at +4 KiB, page directories at
    // +8 KiB (only used without 1 GiB pages). EBP keeps it: CPUID overwrites EBX.
    config_select GLASSVM_ABI_FW_ITEM_PAGE_TABLES
    config_read32
    mov     %eax, %ebp
    mov     %ebp, %edi                      // clear PML4 and PDPT: RAM need not be zero
    xor     %eax, %eax
    mov     $(2 * 4096 / 4), %ecx
    rep stosl
    lea     (0x1000 + PTE_PRESENT_WRITABLE)(%ebp), %eax
    mov     %eax, (%ebp)                    // PML4[0] -> PDPT: the first 512 GiB

    mov     $CPUID_EXTENDED_FEATURES, %eax
    cpuid
    bt      $CPUID_EDX_PAGE_1GB, %edx
    jnc     map_with_2mib_pages

    // PDPT[0..3]: four 1 GiB pages, identity (SDM vol. 3A, 4.5.4, Table 4-16).
    movl    $(0x00000000 + PTE_LARGE_PAGE + PTE_PRESENT_WRITABLE), 0x1000(%ebp)
    movl    $(0x40000000 + PTE_LARGE_PAGE + PTE_PRESENT_WRITABLE), 0x1008(%ebp)
    movl    $(0x80000000 + PTE_LARGE_PAGE + PTE_PRESENT_WRITABLE), 0x1010(%ebp)
    movl    $(0xc0000000 + PTE_LARGE_PAGE + PTE_PRESENT_WRITABLE), 0x1018(%ebp)
    jmp     enable_long_mode

// Without 1 GiB pages: PDPT[0..3] -> four page directories of 512 2 MiB pages each. Their
// 2048 entries never change, so the ROM carries them ready-made (page_directories.S) and one
// REP MOVSL copies them into RAM: a loop computing them would cost about 8,000 emulated
// instructions, 10-15 ms on a nested host.
map_with_2mib_pages:
    lea     (0x2000 + PTE_PRESENT_WRITABLE)(%ebp), %eax
    mov     %eax, 0x1000(%ebp)
    add     $0x1000, %eax
    mov     %eax, 0x1008(%ebp)
    add     $0x1000, %eax
    mov     %eax, 0x1010(%ebp)
    add     $0x1000, %eax
    mov     %eax, 0x1018(%ebp)
    mov     $identity_page_directories, %esi
    lea     0x2000(%ebp), %edi
    mov     $(4 * 4096 / 4), %ecx
    rep movsl

// SDM vol. 3A, 9.8.5: with paging off, enable PAE, load CR3, set EFER.LME, then enable paging
// (the CPU sets EFER.LMA and runs the current code in compatibility mode); a far jump to a
// 64-bit code segment enters 64-bit mode. CR0 also leaves the reset state's caching-disabled
// bits (CD, NW) off, and sets what the kernel's contract lists (guest/README.md).
enable_long_mode:
    mov     %cr4, %eax
    or      $(CR4_PAE + CR4_OSFXSR + CR4_OSXMMEXCPT), %eax
    mov     %eax, %cr4
    mov     %ebp, %cr3
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $EFER_LME, %eax
    wrmsr
    mov     $(CR0_PG + CR0_WP + CR0_NE + CR0_ET + CR0_MP + CR0_PE), %eax
    mov     %eax, %cr0
    ljmp    $CODE64_SELECTOR, $long_mode_start

// No configuration interface, or another version of it: say so on COM1 and stop the VM with
// kStatusFirmwareFailed (there is no kernel to find).
config_failed:
    mov     $config_message, %esi
    mov     $(config_message_end - config_message), %ecx
    mov     $COM1_DATA, %dx
    rep outsb
    mov     $GLASSVM_ABI_STATUS_FIRMWARE_FAILED, %al
    out     %al, $GLASSVM_ABI_EXIT_PORT
1:  hlt
    jmp     1b

    .section .rodata.messages, "a"
config_message:
    .ascii  "glassvm firmware: no glassvm configuration interface (ports 0x520/0x524) of version 1\r\n"
config_message_end:
