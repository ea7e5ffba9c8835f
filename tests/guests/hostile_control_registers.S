/* Hostile guest: loads garbage into CR4 (every bit set, reserved ones included). The CPU raises
 * #GP; with no IDT that escalates to a triple fault, which glassvm reports (122). */
    .code64
    .globl _start
_start:
    movq $-1, %rax
    movq %rax, %cr4
    movb $1, %al
    outb %al, $0xf4
    hlt
