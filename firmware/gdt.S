// The ROM's global descriptor table (SDM vol. 3A, 3.4.5 "Segment Descriptors"), used from
// protected mode until the kernel loads its own. Flat segments, base 0, limit 4 GiB.
//
// Every descriptor has its accessed bit (type bit 0) already set: the CPU sets that bit in the
// GDT when it loads a selector whose bit is clear — a write, and this table is in read-only
// memory, where the write would be reported and dropped (firmware/README.md).

    .section .rodata.gdt, "a"
    .balign 8
gdt:
    .quad   0                       // 0x00: the null descriptor
    .quad   0x00af9b000000ffff      // 0x08: 64-bit code (L=1), DPL 0, execute/read, accessed
    .quad   0x00cf93000000ffff      // 0x10: data, 32-bit (B=1), read/write, accessed, 4 KiB granular
    .quad   0x00cf9b000000ffff      // 0x18: 32-bit code (D=1), DPL 0, execute/read, accessed
gdt_end:

    .balign 4
    .globl gdt_pointer
gdt_pointer:                        // the 6-byte operand of LGDT: limit, then linear base
    .word   gdt_end - gdt - 1
    .long   gdt
