// The ROM's name, first in the image, so `strings glassvm-firmware.bin` says what it is.

    .section .text.00_identity, "a"
    .ascii  "glassvm firmware 0.1: reset vector -> real mode -> protected mode -> long mode -> kernel "
    .asciz  "(firmware/README.md)"
    .balign 16, 0
