/* Test guest: rings the doorbell (abi::kDoorbellPort, a KVM ioeventfd) 100 times with one-byte
 * writes, then writes status 0 to the exit device. glassvm must count 100 rings and see none of
 * them as an exit. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    movl $100, %ecx
1:  outb %al, $GLASSVM_ABI_DOORBELL_PORT
    decl %ecx
    jnz 1b
    movb $0, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt
