/* Hostile guest: programs the 16550 with nonsense — divisor 0, divisor 0xffff, a line control
 * byte with every bit set — and writes a line after each. glassvm models no baud rate, so every
 * line must still come out; then status 0. (16550 datasheet: LCR bit 7 = DLAB selects the
 * divisor latch at offsets 0 and 1.) */
#include <glassvm/abi.hpp>
#define COM1 GLASSVM_ABI_SERIAL_PORT
    .code64
    .globl _start
_start:
    xorl %ebx, %ebx                /* divisor 0 */
    call set_divisor
    leaq line1(%rip), %rsi
    call print
    movl $0xffff, %ebx             /* divisor 65535 */
    call set_divisor
    leaq line2(%rip), %rsi
    call print
    movb $0xff, %al                /* LCR: DLAB, break, stick parity, 8 data bits… */
    movw $COM1 + 3, %dx
    outb %al, %dx
    movb $0x03, %al                /* back to 8N1 with DLAB clear */
    outb %al, %dx
    leaq line3(%rip), %rsi
    call print
    movb $0, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt

set_divisor:
    movw $COM1 + 3, %dx
    movb $0x80, %al                /* DLAB on */
    outb %al, %dx
    movw $COM1, %dx
    movb %bl, %al
    outb %al, %dx                  /* DLL */
    movw $COM1 + 1, %dx
    movb %bh, %al
    outb %al, %dx                  /* DLM */
    movw $COM1 + 3, %dx
    movb $0x03, %al                /* DLAB off, 8N1 */
    outb %al, %dx
    ret

/* Writes the 16-byte line at RSI to THR. */
print:
    movl $16, %ecx
    movw $COM1, %dx
    rep outsb
    ret

line1: .ascii "divisor 0:   ok\n"
line2: .ascii "divisor ffff ok\n"
line3: .ascii "lcr 0xff:    ok\n"
