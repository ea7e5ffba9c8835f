// Every crossing between ring 3 and ring 0: the 64 exception and interrupt stubs, the two ways a
// system call arrives, the first entry into ring 3, the wake-up IPI, and the switch between two
// kernel stacks. Each way in saves registers as a frame (kernel.hpp) on the kernel stack, calls
// C++, and restores what the C++ code left in the frame.

    .set USER_CODE, 0x23            // kUserCode
    .set USER_DATA, 0x1b            // kUserData
    .set USER_FLAGS, 0x240dd5       // RFLAGS bits 0,2,4,6,7,8,10,11,18,21 (see trapped_syscall)
    .set RUN_FLAGS, 0x202           // the always-one bit and IF: ring 3 runs interruptible

.macro SAVE_REGISTERS               // a TrapFrame: rax at the highest address, r15 lowest
    .irp reg, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
    push    %\reg
    .endr
.endm

.macro RESTORE_REGISTERS
    .irp reg, r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax
    pop     %\reg
    .endr
.endm

    .text

// One 32-byte stub per vector 0-63 (idt.cpp points the IDT at them): 0-31 are the exceptions,
// 32-63 the interrupts (interrupt.cpp). The CPU pushes an error code for vectors 8, 10-14, 17, 21,
// 29 and 30 (SDM Vol. 3A, "Exception and Interrupt Reference"); for the others we push a 0 so
// every frame has the same shape. The #PF stub first checks for a trapped system call (see
// syscall_entry below). Aligned to 2 KiB, the size of the block, so that all stubs share address
// bits 63:16 (idt.cpp).
    .balign 2048
    .globl trap_stubs
trap_stubs:
    .set vector, 0
    .rept 64
    .balign 32
    .if vector == 14
    cmpq    $syscall_entry, 8(%rsp) // faulting RIP, above the error code
    je      trapped_syscall
    .endif
    .if (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17) || \
        (vector == 21) || (vector == 29) || (vector == 30)
    .else
    push    $0                      // no error code from the CPU: push one
    .endif
    push    $vector
    jmp     trap_common
    .set vector, vector + 1
    .endr
    .balign 32
    .org    trap_stubs + 64 * 32    // fails to assemble if a stub outgrew its 32 bytes

trap_common:
    SAVE_REGISTERS
    mov     %rsp, %rdi
    call    trap_dispatch           // (TrapFrame&)
    RESTORE_REGISTERS
    add     $16, %rsp               // vector and error code
    iretq

// System calls. The Linux x86-64 ABI passes the number in RAX and arguments in RDI, RSI, RDX,
// R10, R8, R9; SYSCALL itself puts the return RIP in RCX and RFLAGS in R11. Saving exactly those
// nine registers as a SyscallFrame (kernel.hpp) both hands the call to C++ and preserves every
// register C++ may clobber (the callee-saved ones it restores itself). Only RAX, RCX and R11
// come back changed, as on Linux.
.macro SAVE_SYSCALL_REGISTERS       // a SyscallFrame: rcx at the highest address
    .irp reg, rcx, r11, rax, rdi, rsi, rdx, r10, r8, r9
    push    %\reg
    .endr
.endm

.macro RESTORE_SYSCALL_REGISTERS        // rax comes back as the result
    .irp reg, r9, r8, r10, rdx, rsi, rdi, rax, r11, rcx
    pop     %\reg
    .endr
.endm

// LSTAR points here (syscall.cpp). On real hardware SYSCALL arrives at CPL 0 with RCX = user
// RIP, R11 = user RFLAGS, IF/DF/TF masked by FMASK, and RSP still the user's (SDM Vol. 2B,
// SYSCALL). Which kernel stack is this CPU's? SWAPGS (SDM Vol. 2B) exchanges GS.base with
// IA32_KERNEL_GS_BASE, which holds this CPU's PerCpu (kernel.hpp): its kernel_stack_top is the
// running task's kernel stack (the scheduler keeps it equal to this CPU's TSS.RSP0), its scratch
// word keeps the user RSP while the stack switches, and a second SWAPGS gives ring 3 its GS back
// at once (so IA32_KERNEL_GS_BASE again names the PerCpu for this_cpu(), cpu.cpp).
    .set PERCPU_KERNEL_STACK_TOP, 0 // offsetof(PerCpu, kernel_stack_top)
    .set PERCPU_USER_RSP, 8         // offsetof(PerCpu, user_rsp)
    .balign 16
    .globl syscall_entry
syscall_entry:
    swapgs
    mov     %rsp, %gs:PERCPU_USER_RSP
    mov     %gs:PERCPU_KERNEL_STACK_TOP, %rsp
    pushq   %gs:PERCPU_USER_RSP
    swapgs
    SAVE_SYSCALL_REGISTERS
    mov     %rsp, %rdi
    call    syscall_dispatch        // (SyscallFrame&): result in frame.rax
    RESTORE_SYSCALL_REGISTERS
    pop     %rsp
    // SYSRET (SDM Vol. 2B): RIP = RCX, RFLAGS = R11, CS/SS from STAR[63:48], CPL 3.
    sysretq

// This development host's nested KVM (docs/KVM-LAB.md) breaks SYSCALL: it loads RIP from
// LSTAR but stays at CPL 3. syscall_entry lies in supervisor-only memory, so fetching its first
// instruction raises #PF (error code U/S=1; I/D=1 too if EFER.NXE were on), delivered properly
// through the IDT with the TSS stack switch: RIP = CR2 = syscall_entry, CS = the user's. Nothing
// else can fault there: the kernel never jumps to syscall_entry, and at CPL 0 it cannot fault.
// The #PF stub sends that case here, which runs the call from the registers SYSCALL left and
// returns with IRETQ. Real hardware never comes here. Kept in assembly and short because ring 0
// costs ~1 µs an instruction on this host.
//
// Stack on arrival: error code, RIP, CS, RFLAGS, RSP, SS (SDM Vol. 3A, "64-Bit Mode Stack Frame").
trapped_syscall:
    cmpq    $USER_CODE, 16(%rsp)
    jne     1f
    add     $8, %rsp                // drop the error code: an IRETQ frame is left
    SAVE_SYSCALL_REGISTERS
    mov     %rsp, %rdi
    call    syscall_dispatch
    RESTORE_SYSCALL_REGISTERS
    // Return as SYSRET would (SDM Vol. 2B, SYSRET): to RIP = RCX with RFLAGS from R11; RSP, CS
    // and SS are the user's, already in place. But SYSRET trusts R11, which SYSCALL wrote, while
    // a user can reach this path by jumping to syscall_entry with any R11, and IRETQ at CPL 0
    // loads any flag. So only the flags ring 3 may set itself (CF PF AF ZF SF TF DF OF AC ID)
    // pass, plus the always-one bit and IF: IOPL, NT, RF, VM stay zero as ring 3 runs, and IF
    // one, so the timer can always preempt it.
    and     $USER_FLAGS, %r11
    or      $RUN_FLAGS, %r11
    mov     %rcx, 0(%rsp)
    mov     %r11, 16(%rsp)
    iretq
1:  push    $14                     // not ours after all: an ordinary page fault
    jmp     trap_common

// enter_user(RDI = entry, RSI = stack): the first entry into ring 3, by IRETQ to an outer
// privilege level (SDM Vol. 2A, IRET; Vol. 3A, "IRET in IA-32e Mode"). RFLAGS = 0x202: the
// always-one bit and IF, so timer interrupts preempt the program. No kernel value is left in any
// register.
    .globl enter_user
enter_user:
    push    $USER_DATA              // ss
    push    %rsi                    // rsp
    push    $RUN_FLAGS              // rflags
    push    $USER_CODE              // cs
    push    %rdi                    // rip
    xor     %eax, %eax
    mov     %eax, %ds
    mov     %eax, %es
    .irp reg, ebx, ecx, edx, esi, edi, ebp, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d
    xor     %\reg, %\reg
    .endr
    iretq

// The wake-up IPI (kWakeupVector, sent by cpu_wake in cpu.cpp): its only job is to end the HLT
// of an idle CPU, whose scheduler loop then looks at its run queue again; arriving while ring 3
// runs, it changes nothing. So it skips the TrapFrame and C++: acknowledge (EOI, SDM Vol. 3A
// §11.8.5) and return.
    .set LAPIC_EOI, 0xfee000b0
    .globl wakeup_interrupt_entry
wakeup_interrupt_entry:
    push    %rax
    mov     $LAPIC_EOI, %eax
    movl    $0, (%rax)
    pop     %rax
    iretq

// switch_context(RDI = where to save this stack pointer, RSI = the stack pointer to resume):
// the scheduler's switch from one task's kernel stack to another's (scheduler.cpp). The
// System V ABI lets a call clobber everything but RBX, RBP, R12-R15 and RSP, so those six are all
// a switch must keep; they wait on the old stack until a later switch_context returns to it.
// A new task's stack is prepared to look as if it had called switch_context (task.cpp).
    .globl switch_context
switch_context:
    .irp reg, rbp, rbx, r12, r13, r14, r15
    push    %\reg
    .endr
    mov     %rsp, (%rdi)
    mov     %rsi, %rsp
    .irp reg, r15, r14, r13, r12, rbx, rbp
    pop     %\reg
    .endr
    ret

