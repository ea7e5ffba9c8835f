// The kernel's page tables: an identity map of guest-physical [0, 4 GiB) in 2 MiB pages, all of it
// supervisor-only. Ring 3 never runs on these: every task gets a copy of the first page directory
// in which its own window of user memory is user-accessible (address_space.cpp). The 2 MiB pages
// holding the I/O APIC (0xfec00000) and the local APIC (0xfee00000) are uncached (PCD|PWT, SDM
// Vol. 3A §11.5.2.1: device registers must not be cached) and, like everything else here, out of
// ring 3's reach, so a user program cannot program the interrupt controllers.
//
// They are assembled already filled in, so neither boot path spends a loop on them (ring 0 runs
// at ~1 µs an instruction under this host's KVM). 4-level paging, Intel SDM Vol. 3A §4.5:
// PML4 → PDPT → page directory with PS=1 entries mapping 2 MiB each (Table 4-18). The U/S bit
// must be set at every level for ring 3 to get through (§4.6), so the upper levels allow
// everything and the page-directory entries decide.

    .set PRESENT,   1 << 0
    .set WRITABLE,  1 << 1
    .set USER,      1 << 2
    .set WRITE_THROUGH, 1 << 3      // PWT
    .set NO_CACHE,  1 << 4          // PCD
    .set LARGE,     1 << 7          // PS: this page-directory entry maps a 2 MiB page
    .set IOAPIC_PAGE, 0xfec00000 >> 21
    .set LAPIC_PAGE,  0xfee00000 >> 21
    .set TABLE,     PRESENT | WRITABLE | USER

    .section .data.page_tables, "aw"
    .balign 4096
    .globl boot_pml4
boot_pml4:                          // one entry: [0, 512 GiB)
    .quad   boot_pdpt + TABLE
    .fill   511, 8, 0

    .globl boot_pdpt
boot_pdpt:                          // four entries: [0, 4 GiB), 1 GiB each
    .quad   boot_page_directories + 0x0000 + TABLE
    .quad   boot_page_directories + 0x1000 + TABLE
    .quad   boot_page_directories + 0x2000 + TABLE
    .quad   boot_page_directories + 0x3000 + TABLE
    .fill   508, 8, 0

    .globl boot_page_directories
boot_page_directories:              // 2048 entries of 2 MiB: four page directories back to back
    .set    page, 0
    .rept   2048
    .if (page == IOAPIC_PAGE) || (page == LAPIC_PAGE)
    .quad   (page << 21) + PRESENT + WRITABLE + LARGE + WRITE_THROUGH + NO_CACHE
    .else
    .quad   (page << 21) + PRESENT + WRITABLE + LARGE
    .endif
    .set    page, page + 1
    .endr
