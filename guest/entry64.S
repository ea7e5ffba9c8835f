// Direct-boot entry: where the glassvm VMM starts the kernel, already in 64-bit long mode.
//
// Contract (guest/README.md has the full list): RDI = abi::kBootMagic, RSI = guest-physical
// address of an abi::BootInfo; paging on with an identity map of at least this image (the
// kernel moves to its own page tables at once); CS = 0x08 (64-bit), DS/ES/SS = 0x10;
// interrupts off. RSP is the VMM's small stack, which we leave at once.

    .section .text.entry, "ax"
    .code64
    .globl _start64
_start64:
    cld
    lea     kernel_stack_top(%rip), %rsp
    // Switch to the kernel's own page tables (page_tables.S): the same identity map as the
    // VMM's, but inside the kernel's 2 MiB, where loading init cannot overwrite it.
    lea     boot_pml4(%rip), %rax
    mov     %rax, %cr3
    call    boot_direct             // (RDI = magic, RSI = BootInfo*), never returns
1:  cli
    hlt
    jmp     1b

// The kernel stack. The boot path runs on it; once init runs, the CPU switches to its top for
// every exception from ring 3 (TSS.RSP0) and syscall_entry does the same for SYSCALL.
    .section .stack, "aw", @nobits
    .balign 16
    .skip   16384
    .globl kernel_stack_top
kernel_stack_top:

// A separate stack for #DF (IST1), so that a kernel stack overflow is still reported.
    .skip   4096
    .globl fault_stack_top
fault_stack_top:
