/* Test guest: triple-faults. The VMM enters with no IDT (limit 0), so #UD cannot be delivered,
 * the resulting #DF cannot either, and the CPU shuts down (Intel SDM vol. 3A, 6.15, "Interrupt
 * 8—Double Fault Exception"). glassvm must report KVM_EXIT_SHUTDOWN and exit 122. */
    .code64
    .globl _start
_start:
    ud2
