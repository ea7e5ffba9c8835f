// Four page directories that identity-map [0, 4 GiB) with 2 MiB pages (SDM vol. 3A, 4.5.4,
// Table 4-18: a PDE with PS = 1 maps a 2 MiB page). Their entries hold only physical addresses,
// which never change, so they are assembled here once instead of computed in a loop by
// emulated ring-0 code; protected_mode.S copies them into RAM when the CPU has no 1 GiB pages.
// (The tables are used from RAM, not from here: the CPU writes accessed and dirty bits into
// the entries it walks, and this ROM is read-only.)

#include "rom.h"

    .section .rodata.page_directories, "a"
    .balign 4096
    .globl identity_page_directories
identity_page_directories:
    .set    page_address, 0
    .rept   4 * 512
    .quad   page_address + PTE_LARGE_PAGE + PTE_PRESENT_WRITABLE
    .set    page_address, page_address + 0x200000
    .endr
