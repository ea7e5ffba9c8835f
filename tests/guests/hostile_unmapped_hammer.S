/* Hostile guest: hammers I/O ports and MMIO addresses no device claims. It writes and reads
 * every 16th port of [0x100, 0x3f0), [0x400, 0x4d0) and [0x4e0, 0x10000) — around COM1 and the
 * PIC's edge/level control registers at 0x4d0 (in KVM) — and every MiB of the MMIO hole below
 * the interrupt controllers, [0xc0000000, 0xfec00000). Every read must give all ones; the guest
 * exits 0 if all did, else 1 with the offending port or address in RBX (see the registers). */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    movl $0x100, %ebx
    movl $0x3f0, %ebp
    call hammer_ports
    movl $0x400, %ebx
    movl $0x4d0, %ebp
    call hammer_ports
    movl $0x4e0, %ebx
    movl $0x10000, %ebp
    call hammer_ports

    movl $0xc0000000, %ebx
2:  movl $0x5a5a5a5a, (%rbx)
    movl (%rbx), %eax
    cmpl $0xffffffff, %eax
    jne fail
    addl $0x100000, %ebx
    cmpl $0xfec00000, %ebx
    jb 2b

    movb $0, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt

/* Ports [RBX, RBP) in steps of 16: out 0x5a, then in must read 0xff. */
hammer_ports:
    movw %bx, %dx
    movb $0x5a, %al
    outb %al, %dx
    inb %dx, %al
    cmpb $0xff, %al
    jne fail
    addl $16, %ebx
    cmpl %ebp, %ebx
    jb hammer_ports
    ret

fail:
    movb $1, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt
