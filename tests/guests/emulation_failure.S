/* Test guest: runs `lock cmpxchg16b` in ring 0 (its 16-byte operand on the 16-aligned boot
 * stack), then exits with status 7. Where ring 0 is emulated by a KVM that lacks the
 * instruction (this project's nested development machines), the VM ends with an emulation
 * failure that glassvm must name; on hardware virtualisation it simply runs. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    sub     $16, %rsp
    and     $-16, %rsp
    xor     %eax, %eax
    xor     %edx, %edx
    xor     %ebx, %ebx
    xor     %ecx, %ecx
    lock cmpxchg16b (%rsp)
    movb    $7, %al
    outb    %al, $GLASSVM_ABI_EXIT_PORT
    hlt
