// The guest kernel's table of contents: every type and function shared between files, by file.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glassvm/abi.hpp>

namespace glassvm::guest {

namespace abi = glassvm::abi;

// --- gdt.cpp: segments. The order is fixed by SYSCALL/SYSRET (see gdt.cpp). -------------------
inline constexpr uint16_t kKernelCode = 0x08;
inline constexpr uint16_t kKernelData = 0x10;
inline constexpr uint16_t kUserData = 0x18 | 3;
inline constexpr uint16_t kUserCode = 0x20 | 3;
inline constexpr uint16_t kTssSelector = 0x28;
// Loads CPU `cpu`'s own GDT and TSS (each CPU needs its own TSS descriptor: LTR marks it busy).
// The TSS sends ring-3 interrupts to `stack_top` and #DF to `fault_stack_top`.
void gdt_init(unsigned cpu, uint64_t stack_top, uint64_t fault_stack_top);

// --- trap_entry.S: the crossings between ring 3 and ring 0. -------------------------------------
// What trap_entry.S saves on the kernel stack for every exception: the general registers it
// pushes, then the vector and error code, then what the CPU pushed (Intel SDM Vol. 3A, "64-Bit
// Mode Stack Frame"). trap_entry.S restores all of it on the way out.
struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(TrapFrame) == 22 * 8, "trap_entry.S pushes 22 words");

// What trap_entry.S saves for a system call, from either entry path: the number (RAX, and
// the result on the way out), the six argument registers, and RCX/R11 as SYSCALL set them.
struct SyscallFrame {
    uint64_t r9, r8, r10, rdx, rsi, rdi, rax, r11, rcx;
};

extern "C" {
extern const char trap_stubs[];  // 32 stubs, kTrapStubSize bytes apart, one per vector
void syscall_entry();            // LSTAR points here; supervisor-only text
[[noreturn]] void enter_user(uint64_t entry, uint64_t stack);
extern char kernel_stack_top[];  // entry64.S: boot stack, later the ring-3 → ring-0 stack
extern char fault_stack_top[];   // entry64.S: IST stack for #DF
}
inline constexpr size_t kTrapStubSize = 32;

// --- idt.cpp: the interrupt descriptor table. ---------------------------------------------------
void idt_init();  // builds the one IDT all CPUs share, and loads it
void idt_load();  // loads it on another CPU
void idt_set_interrupt_gate(uint8_t vector, void (*handler)());

// --- trap.cpp: what an exception means (kernel panic, or init killed). -------------------------
extern "C" void trap_dispatch(TrapFrame& frame);

// --- syscall.cpp: the Linux x86-64 system calls the kernel implements. -----------------------
struct PerCpu;
void syscall_init(const abi::BootInfo& boot);
// This CPU's SYSCALL MSRs (STAR, LSTAR, FMASK, EFER.SCE are per CPU) and IA32_KERNEL_GS_BASE.
void syscall_init_cpu(const PerCpu& cpu);
// Runs the system call in frame.rax with the arguments in the frame; the result lands in rax.
// Both entry paths (syscall_entry at ring 0, and trapped_syscall after a #PF) end here.
extern "C" void syscall_dispatch(SyscallFrame& frame);

// --- serial.cpp: the 16550A UART on COM1. -----------------------------------------------------
void serial_init();
void serial_write(const char* data, size_t length);

// --- console.cpp: text and numbers on the serial console. -------------------------------------
void print(const char* text);
void print(const char* text, size_t length);
void print_hex(uint64_t value);
void print_dec(uint64_t value);

// --- exit_port.cpp: ending the VM. -----------------------------------------------------------
[[noreturn]] void exit_vm(uint8_t status);

// --- cmdline.cpp: the kernel command line. ------------------------------------------------------
struct Word {
    const char* text;
    size_t length;
};
void cmdline_init(const abi::BootInfo& boot);
Word cmdline();
// The value of `key=value` among the kernel's own words (those before `--`); empty if absent.
Word cmdline_value(const char* key);
// The words after `--`, for init's argv; returns how many were stored (at most capacity).
size_t cmdline_init_arguments(Word* words, size_t capacity);

// --- user_memory.cpp: which guest-physical memory ring 3 owns. ---------------------------------
void user_memory_init(const abi::BootInfo& boot);
uint64_t user_memory_end();
bool is_user_range(uint64_t address, uint64_t size);

// --- exec.cpp: loading and starting the init program. ------------------------------------------
[[noreturn]] void exec_init(const abi::BootInfo& boot);

// --- smp.cpp, ap_trampoline.S: the other CPUs (Intel SDM Vol. 3A §8.4). ------------------------
// What each CPU keeps for itself. syscall_entry (trap_entry.S) reaches it through GS after
// SWAPGS (IA32_KERNEL_GS_BASE = its address), so the first two fields' offsets are ABI.
struct PerCpu {
    uint64_t kernel_stack_top;  // trap_entry.S PERCPU_KERNEL_STACK_TOP
    uint64_t user_rsp;          // trap_entry.S PERCPU_USER_RSP: syscall_entry's scratch word
    uint32_t index;             // 0 = the boot processor, then in the order the APs arrived
    uint32_t apic_id;           // initial APIC id (CPUID leaf 01H EBX[31:24])
    uint32_t online;            // set (release) once the CPU is ready
};
inline constexpr size_t kApStackSize = 16384;      // ap_trampoline.S AP_STACK_SIZE
inline constexpr size_t kApFaultStackSize = 4096;  // ap_trampoline.S AP_FAULT_STACK_SIZE
extern "C" {
extern const char ap_trampoline_start[], ap_trampoline_end[];
extern char ap_kernel_stacks[], ap_fault_stacks[];
void wakeup_interrupt_entry();
void spurious_interrupt_entry();
[[noreturn]] void ap_main(uint32_t index);  // ap_trampoline.S calls it on the AP's own stack
}
// The per-CPU set-up every CPU runs for itself: GDT, TSS, IDT, SYSCALL MSRs, local APIC.
void cpu_init(unsigned index);
// Boot processor: starts the other CPUs (INIT-SIPI-SIPI) and prints `cpus=N` and one line per CPU.
void smp_init(const abi::BootInfo& boot);
// Runs init on the CPU the command line names (`initcpu=K`, default 0); this CPU then idles.
[[noreturn]] void smp_run_init(const abi::BootInfo& boot);
// The index of the CPU this runs on (getcpu).
unsigned smp_current_cpu();

// --- main.cpp: the common boot path. -----------------------------------------------------------
[[noreturn]] void kernel_main(const abi::BootInfo& boot);

// --- string.cpp: string length, and the four functions the compiler may call on its own. -------
size_t string_length(const char* text);

}  // namespace glassvm::guest

extern "C" {
void* memcpy(void* destination, const void* source, size_t size);
void* memmove(void* destination, const void* source, size_t size);
void* memset(void* destination, int value, size_t size);
int memcmp(const void* a, const void* b, size_t size);
}
