/* Test guest: the smallest "bzImage" glassvm's Linux boot path accepts — a boot sector and one
 * setup sector holding a real setup header (Documentation/arch/x86/boot.rst), then a
 * protected-mode "kernel" whose 64-bit entry (load address + 0x200) checks what a Linux kernel
 * relies on and reports it:
 *   - CS is __BOOT_CS (0x10), DS and SS are __BOOT_DS (0x18), else exit 90;
 *   - RSI points at boot_params with the setup header copied ("HdrS") and type_of_loader 0xff,
 *     else exit 91;
 *   - it prints the command line found through cmd_line_ptr on COM1;
 *   - it exits with e820_entries + (the first byte of the initrd, when ramdisk_size is not 0).
 * Linked as a flat binary at 0; the code is position-independent (it runs at pref_address). */
#include <glassvm/abi.hpp>

    .set SETUP_SECTS, 1
    .set KERNEL_START, (SETUP_SECTS + 1) * 512

    .section .text
    .code16
boot_sector:
    .org 0x1f1
    .byte SETUP_SECTS             /* setup_sects */
    .word 0                       /* root_flags */
    .long 0                       /* syssize */
    .word 0                       /* ram_size */
    .word 0xffff                  /* vid_mode */
    .word 0                       /* root_dev */
    .word 0xAA55                  /* boot_flag */
    .byte 0xeb, header_end - 0x202 /* jump over the header */
    .ascii "HdrS"                 /* 0x202 header */
    .word 0x020f                  /* 0x206 version 2.15 */
    .org 0x211
    .byte 0x01                    /* loadflags: LOADED_HIGH */
    .org 0x22c
    .long 0x7fffffff              /* initrd_addr_max */
    .long 0x200000                /* kernel_alignment */
    .byte 1                       /* relocatable_kernel */
    .byte 21                      /* min_alignment */
    .word 0x0001                  /* xloadflags: XLF_KERNEL_64 */
    .long 255                     /* cmdline_size */
    .org 0x258
    .quad 0x1000000               /* pref_address: 16 MiB, as Debian's */
    .long 0x100000                /* init_size: 1 MiB */
    .long 0                       /* handover_offset */
    .long 0                       /* kernel_info_offset */
header_end:

    .org KERNEL_START
startup_32:                       /* the 32-bit entry: glassvm never uses it */
    hlt
    .org KERNEL_START + 0x200
    .code64
startup_64:
    mov     %cs, %ax
    cmp     $0x10, %ax
    jne     wrong_segments
    mov     %ds, %ax
    cmp     $0x18, %ax
    jne     wrong_segments
    mov     %ss, %ax
    cmp     $0x18, %ax
    jne     wrong_segments
    cmpl    $0x53726448, 0x202(%rsi)      /* "HdrS" */
    jne     wrong_boot_params
    cmpb    $0xff, 0x210(%rsi)            /* type_of_loader */
    jne     wrong_boot_params

    mov     0x228(%rsi), %ebx             /* cmd_line_ptr */
    mov     $GLASSVM_ABI_SERIAL_PORT, %dx
1:  movb    (%rbx), %al
    test    %al, %al
    jz      2f
    outb    %al, %dx
    inc     %rbx
    jmp     1b
2:  movb    $'\n', %al
    outb    %al, %dx

    movzbl  0x1e8(%rsi), %eax             /* e820_entries */
    mov     0x21c(%rsi), %ecx             /* ramdisk_size */
    jecxz   3f
    mov     0x218(%rsi), %ebx             /* ramdisk_image */
    movzbl  (%rbx), %ecx
    add     %ecx, %eax
3:  outb    %al, $GLASSVM_ABI_EXIT_PORT
    hlt

wrong_segments:
    movb    $90, %al
    outb    %al, $GLASSVM_ABI_EXIT_PORT
    hlt
wrong_boot_params:
    movb    $91, %al
    outb    %al, $GLASSVM_ABI_EXIT_PORT
    hlt
