/* Hostile guest: executes `lock cmpxchg16b`, which real x86-64 CPUs run (CPUID.1:ECX.CX16) but
 * KVM's instruction emulator does not — and ring-0 code on nested development hosts runs in that
 * emulator. On such a host glassvm must end the VM with 121 (emulation failure) naming the
 * instruction and its rip; where the CPU runs it, the guest exits 0. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    leaq buffer(%rip), %rdi
    xorl %eax, %eax
    xorl %edx, %edx
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    lock cmpxchg16b (%rdi)
    movb $0, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt

    .balign 16
buffer: .quad 0, 0
