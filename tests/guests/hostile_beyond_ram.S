/* Hostile guest (run with --mem 16M): reads and writes guest-physical memory past the end of
 * RAM, where no memory slot is. Such accesses reach the VMM as MMIO to an unclaimed address:
 * writes are dropped, reads are all ones. A 4-byte read straddling the end of RAM gets its
 * low half from RAM and its high half from nowhere. Exit 42 when all of that holds, else 1. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    movl $0x2000000, %ebx          /* 32 MiB: past the end of a 16 MiB guest */
    movl $0x12345678, (%rbx)
    movl (%rbx), %eax
    cmpl $0xffffffff, %eax
    jne fail
    movq $0xffffffffffffffff, %rax /* an 8-byte write as well */
    movq %rax, 8(%rbx)

    movl $0xfffffe, %ebx           /* the last two bytes of RAM */
    movw $0x4242, (%rbx)
    movl (%rbx), %eax              /* 0x4242 from RAM, 0xffff from beyond it */
    cmpl $0xffff4242, %eax
    jne fail
    movb $42, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
fail:
    movb $1, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt
