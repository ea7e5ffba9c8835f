/* Hostile guest: writes garbage into EFER (MSR 0xc0000080: reserved bits set). The CPU raises
 * #GP; with no IDT that escalates to a triple fault, which glassvm reports (122). */
    .code64
    .globl _start
_start:
    movl $0xc0000080, %ecx
    movl $0xffffffff, %eax
    movl $0xffffffff, %edx
    wrmsr
    movb $1, %al
    outb %al, $0xf4
    hlt
