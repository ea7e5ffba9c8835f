// How an application processor (AP) enters the kernel: the real-mode trampoline that smp.cpp
// copies below 1 MiB, the 64-bit landing that gives the AP its index and stack, and the AP
// stacks.
//
// A SIPI with vector VV starts an AP in real mode at CS = VV00, IP = 0, i.e. at physical VV000
// (Intel SDM Vol. 3A §8.4.4.1, §9.1.4: the AP's state after INIT is the reset state, with
// CR0 = 0x60000010: no protection, no paging, caches disabled). The trampoline goes the way a
// reset CPU must (SDM Vol. 3A §9.9.1, §9.8.5): load a GDT, set CR0.PE and far-jump into 32-bit
// code; then PAE, the kernel's page tables, EFER.LME and CR0.PG, and a far jump to a 64-bit code
// segment, which lands in kernel text. It runs at GLASSVM_ABI_AP_TRAMPOLINE, not where it is
// linked, so every address inside it is written AT(label).

#include <glassvm/abi.hpp>

#define AT(label) (GLASSVM_ABI_AP_TRAMPOLINE + ((label) - ap_trampoline_start))

    .set CODE32, 0x08               // selectors in ap_gdt below
    .set DATA, 0x10
    .set CODE64, 0x18

#include "cpu_bits.inc"

    .set AP_STACK_SIZE, 16384       // kApStackSize (kernel.hpp)
    .set AP_FAULT_STACK_SIZE, 4096  // kApFaultStackSize (kernel.hpp)

// --- The trampoline: never run where it is linked, only from its copy. ---------------------
    .section .rodata.ap_trampoline, "a"
    .code16
    .globl ap_trampoline_start
ap_trampoline_start:
    cli
    cld
    mov     %cs, %ax                // CS = the SIPI vector's segment: address our own data
    mov     %ax, %ds
    lgdtl   %ds:(ap_gdt_pointer - ap_trampoline_start)  // 32-bit base (operand-size prefix)
    mov     $(CR0_PE | CR0_ET | CR0_NE), %eax  // also clears CD and NW: caches on
    mov     %eax, %cr0
    ljmpl   $CODE32, $AT(ap_protected_mode)

    .code32
ap_protected_mode:
    mov     $DATA, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    enable_long_mode                // cpu_bits.inc: PAE, CR3, EFER.LME, paging on
    ljmp    $CODE64, $ap_long_mode  // a 64-bit code segment: 64-bit mode, in kernel text

// A GDT just for the way up (SDM Vol. 3A §3.4.5): the AP loads its own in gdt_init.
    .balign 8
ap_gdt:
    .quad   0
    .quad   0x00cf9a000000ffff      // 0x08: 32-bit code, base 0, 4 GiB
    .quad   0x00cf92000000ffff      // 0x10: data, base 0, 4 GiB
    .quad   0x00af9a000000ffff      // 0x18: 64-bit code
ap_gdt_pointer:
    .word   ap_gdt_pointer - ap_gdt - 1
    .long   AT(ap_gdt)
    .globl ap_trampoline_end
ap_trampoline_end:

// --- 64-bit landing, in place in kernel text. -----------------------------------------------
    .text
    .code64
// Each AP takes the next CPU index as a ticket (the boot processor is 0), so APs started all at
// once by one broadcast SIPI never share a stack. More APs than the kernel has stacks for stop
// here, with interrupts off.
ap_long_mode:
    mov     $1, %eax
    lock xadd %eax, ap_next_index(%rip)
    cmp     $GLASSVM_ABI_MAX_CPUS, %eax
    jae     1f
    mov     %eax, %edi              // ap_main(index)
    imul    $AP_STACK_SIZE, %rax, %rax
    lea     ap_kernel_stacks(%rip), %rsp
    add     %rax, %rsp              // the top of AP `index`'s stack: slot index - 1
    call    ap_main                 // smp.cpp; never returns
1:  cli
    hlt
    jmp     1b

    .data
    .balign 4
ap_next_index:
    .long   1

// Each AP's kernel stack and #DF stack (IST1): slot i - 1 belongs to CPU i. NOLOAD, like the
// boot processor's in entry64.S.
    .section .stack, "aw", @nobits
    .balign 16
    .globl ap_kernel_stacks
ap_kernel_stacks:
    .skip   AP_STACK_SIZE * (GLASSVM_ABI_MAX_CPUS - 1)
    .globl ap_fault_stacks
ap_fault_stacks:
    .skip   AP_FAULT_STACK_SIZE * (GLASSVM_ABI_MAX_CPUS - 1)
