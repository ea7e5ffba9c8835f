/* Test guest: three lines to the UART's THR, the middle one while IER.ETBEI (the THRE
   interrupt) is on. glassvm lets KVM queue THR writes only while that interrupt is off
   (Serial16550::TransmitDeferral), so it switches queueing off and on again from the vCPU
   thread as the guest writes IER; the lines must still come out whole and in order. Interrupts
   stay masked (cli, and MCR.OUT2 is 0): only the queueing changes. Ends with status 0. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    cli
    lea     first(%rip), %rsi
    mov     $second - first, %ecx
    mov     $GLASSVM_ABI_SERIAL_PORT, %dx
    rep outsb                          /* queued */

    mov     $GLASSVM_ABI_SERIAL_PORT + 1, %dx
    mov     $0x02, %al                 /* IER = ETBEI */
    outb    %al, %dx

    lea     second(%rip), %rsi
    mov     $third - second, %ecx
    mov     $GLASSVM_ABI_SERIAL_PORT, %dx
    rep outsb                          /* one exit per byte */

    mov     $GLASSVM_ABI_SERIAL_PORT + 1, %dx
    xor     %eax, %eax                 /* IER = 0 */
    outb    %al, %dx

    lea     third(%rip), %rsi
    mov     $end - third, %ecx
    mov     $GLASSVM_ABI_SERIAL_PORT, %dx
    rep outsb                          /* queued again */

    xor     %eax, %eax
    outb    %al, $GLASSVM_ABI_EXIT_PORT
    hlt

first:  .ascii "first line, queued by KVM\n"
second: .ascii "second line, one exit a byte\n"
third:  .ascii "third line, queued again\n"
end:
