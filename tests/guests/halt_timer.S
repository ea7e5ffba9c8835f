/* Test guest: starts its local APIC timer (periodic, 1 kHz-ish) and halts with interrupts off.
 * The timer keeps firing into a CPU that can never take it: KVM wakes the vCPU thread at each
 * tick, yet nothing can wake the guest, so glassvm must still end it with 118. No IDT is
 * needed: with IF = 0 the interrupt is never delivered. (Intel SDM Vol. 3A §11.5.4, §11.4.7.) */
    .set LAPIC, 0xfee00000
    .code64
    .globl _start
_start:
    cli
    mov     $LAPIC, %eax            /* zero-extended into rax */
    movl    $0x1ff, 0xf0(%rax)      /* SVR: software enable, spurious vector 0xff */
    movl    $0x3, 0x3e0(%rax)       /* divide by 16 */
    movl    $0x20020, 0x320(%rax)   /* LVT timer: periodic, vector 0x20 */
    movl    $100000, 0x380(%rax)    /* initial count: starts the timer */
    hlt
    jmp     _start
