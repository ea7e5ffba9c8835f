// The kernel's page tables: an identity map of guest-physical [0, 4 GiB) in 2 MiB pages, the
// first 2 MiB (the kernel) supervisor-only, everything else user-accessible.
//
// They are assembled already filled in, so neither boot path spends a loop on them (ring 0 runs
// at ~1 µs an instruction under this host's KVM). 4-level paging, Intel SDM Vol. 3A §4.5:
// PML4 → PDPT → page directory with PS=1 entries mapping 2 MiB each (Table 4-18). The U/S bit
// must be set at every level for ring 3 to get through (§4.6), so the upper levels allow
// everything and the page-directory entries decide.

    .set PRESENT,   1 << 0
    .set WRITABLE,  1 << 1
    .set USER,      1 << 2
    .set LARGE,     1 << 7          // PS: this page-directory entry maps a 2 MiB page
    .set TABLE,     PRESENT | WRITABLE | USER

    .section .data.page_tables, "aw"
    .balign 4096
    .globl boot_pml4
boot_pml4:                          // one entry: [0, 512 GiB)
    .quad   boot_pdpt + TABLE
    .fill   511, 8, 0

boot_pdpt:                          // four entries: [0, 4 GiB), 1 GiB each
    .quad   boot_page_directories + 0x0000 + TABLE
    .quad   boot_page_directories + 0x1000 + TABLE
    .quad   boot_page_directories + 0x2000 + TABLE
    .quad   boot_page_directories + 0x3000 + TABLE
    .fill   508, 8, 0

boot_page_directories:              // 2048 entries of 2 MiB: four page directories back to back
    .quad   0 + PRESENT + WRITABLE + LARGE              // [0, 2 MiB): the kernel, supervisor-only
    .set    address, 0x200000
    .rept   2047
    .quad   address + PRESENT + WRITABLE + USER + LARGE
    .set    address, address + 0x200000
    .endr
