// PVH entry: how QEMU (`-M microvm -kernel glassvm-guest.elf`) and Xen start the kernel.
//
// The PVH boot ABI (Xen's docs/misc/pvh.pandoc, "x86/HVM direct boot ABI"): the loader finds the
// entry in an ELF note and starts it in 32-bit flat protected mode with paging off, CS/DS/ES/SS
// flat 4 GiB segments, interrupts off, and EBX = physical address of a struct hvm_start_info.
// We enter long mode the way Intel SDM Vol. 3A, "Initializing IA-32e Mode", describes,
// then hand EBX to boot_pvh (boot_info.cpp).

// The note (xen/include/public/elfnote.h, XEN_ELFNOTE_PHYS32_ENTRY = 18). The descriptor is 8
// bytes, as Linux's; QEMU reads a full 64-bit word. Kept 4-aligned: QEMU computes the note's
// payload offset from the PT_NOTE alignment, and the ELF note format assumes 4.
    .section .note.Xen, "a", @note
    .balign 4
    .long   4                       // n_namesz: "Xen\0"
    .long   8                       // n_descsz
    .long   18                      // n_type: XEN_ELFNOTE_PHYS32_ENTRY
    .asciz  "Xen"
    .quad   pvh_start32

#include "cpu_bits.inc"

    .text
    .code32
    .globl pvh_start32
pvh_start32:
    cli
    cld
    lgdt    pvh_gdt_pointer
    // Long mode needs PAE paging: CR4.PAE, CR3 = PML4, EFER.LME, then CR0.PG.
    enable_long_mode                // cpu_bits.inc: PAE, CR3, EFER.LME, paging on
    // Now in compatibility mode; a far jump to a 64-bit code segment enters 64-bit mode.
    ljmp    $0x08, $pvh_start64

    .code64
pvh_start64:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    lea     kernel_stack_top(%rip), %rsp
    // Whatever ran before us may have left the upper halves of the 64-bit registers set
    // (SDM Vol. 1 §3.4.1.1: they are undefined across mode switches); a 32-bit move zero-extends.
    mov     %ebx, %edi              // hvm_start_info*
    call    boot_pvh                // never returns
1:  cli
    hlt
    jmp     1b

// Just enough GDT to reach 64-bit mode; gdt_init (gdt.cpp) installs the real one with the same
// 0x08 and 0x10. Accessed bits are preset so loading a selector never writes this table.
    .section .rodata
    .balign 8
pvh_gdt:
    .quad   0                       // 0x00 null
    .quad   0x00af9b000000ffff      // 0x08 64-bit code, DPL 0
    .quad   0x00cf93000000ffff      // 0x10 data, DPL 0
pvh_gdt_end:
pvh_gdt_pointer:                    // 32-bit LGDT operand: 16-bit limit, 32-bit base
    .word   pvh_gdt_end - pvh_gdt - 1
    .long   pvh_gdt
