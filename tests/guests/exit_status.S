/* Test guest: writes status 7 to the exit device; glassvm must exit with status 7. */
#include <glassvm/abi.hpp>
    .code64
    .globl _start
_start:
    movb $7, %al
    outb %al, $GLASSVM_ABI_EXIT_PORT
    hlt
