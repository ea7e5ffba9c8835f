/* Hostile guest: writes one chosen value to the exit port, at a chosen width. The kernel
 * command line (BootInfo.cmdline_address, RSI = &BootInfo) is "N" or "N w" or "N l": decimal N
 * (0..255, or more — only the low byte counts), written with outb, outw or outl. glassvm must
 * exit with N & 0xff. If the VM does not end, the guest halts with interrupts off. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    movq 16(%rsi), %rsi            /* BootInfo.cmdline_address */
    xorl %eax, %eax
1:  movzbl (%rsi), %ecx            /* decimal digits → EAX */
    subl $'0', %ecx
    cmpl $9, %ecx
    ja 2f
    imull $10, %eax
    addl %ecx, %eax
    incq %rsi
    jmp 1b
2:  movzbl 1(%rsi), %ecx           /* the width letter after the space, if any */
    cmpb $'w', %cl
    je 3f
    cmpb $'l', %cl
    je 4f
    outb %al, $GLASSVM_ABI_EXIT_PORT
    jmp 5f
3:  outw %ax, $GLASSVM_ABI_EXIT_PORT
    jmp 5f
4:  outl %eax, $GLASSVM_ABI_EXIT_PORT
5:  cli
    hlt
