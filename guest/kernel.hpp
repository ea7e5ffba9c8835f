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
// CPU `cpu`'s TSS.RSP0: the stack it switches to when ring 3 is interrupted.
void set_ring0_stack(unsigned cpu, uint64_t top);

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
extern const char trap_stubs[];  // 64 stubs, kTrapStubSize bytes apart, one per vector
void syscall_entry();            // LSTAR points here; supervisor-only text
[[noreturn]] void enter_user(uint64_t entry, uint64_t stack);
// Saves this kernel stack's pointer in *save and resumes the stack at `resume` (scheduler.cpp).
void switch_context(uint64_t* save, uint64_t resume);
void wakeup_interrupt_entry();   // kWakeupVector's handler: EOI only
extern char kernel_stack_top[];  // entry64.S: the boot CPU's stack (boot, then idle)
extern char fault_stack_top[];   // entry64.S: the boot CPU's IST stack for #DF
}
inline constexpr size_t kTrapStubSize = 32;

// --- idt.cpp: the interrupt descriptor table. ---------------------------------------------------
inline constexpr unsigned kStubCount = 64;  // trap_entry.S: 0-31 exceptions, 32-63 interrupts
void idt_init();                            // builds the one IDT all CPUs share, and loads it
void idt_load();                            // loads it on another CPU
void idt_set_interrupt_gate(uint8_t vector, void (*handler)());

// --- trap.cpp: what an exception means (kernel panic, or the task killed). --------------------
extern "C" void trap_dispatch(TrapFrame& frame);

// --- interrupt.cpp: the machine's interrupts, their vectors and handlers. ----------------------
inline constexpr uint8_t kTimerVector = 0x20;
inline constexpr uint8_t kSerialVector = 0x20 + abi::kSerialIrq;
inline constexpr uint8_t kSpuriousVector = 0x3f;  // bits 3:0 all ones, as old APICs required
inline constexpr uint8_t kWakeupVector = 0xfd;    // IPI between CPUs (Linux's reschedule vector)
// Boot CPU: programs the PICs and the I/O APIC, calibrates the APIC timer and starts its own,
// starts the clock (interrupts stay off in ring 0; ring 3 and the idle loop take them).
void interrupts_init(const abi::BootInfo& boot);
void interrupt_dispatch(TrapFrame& frame);

// --- lapic.cpp: this CPU's local APIC: enable, EOI, the periodic timer, IPIs. ----------------
void lapic_init();  // each CPU, for its own APIC
uint32_t lapic_id();
void lapic_end_of_interrupt();
// Once, on the boot CPU: measures the APIC timer (against the TSC when tsc_khz is known, else the
// PIT, which also measures the TSC and sets tsc_khz) for `hz` interrupts a second.
void lapic_timer_calibrate(uint32_t hz, uint64_t& tsc_khz);
void lapic_timer_start();  // each CPU: its own timer, periodic, on kTimerVector
void lapic_timer_stop();
// Interrupt command register (SDM Vol. 3A §11.6.1): delivery modes, and the destination: one
// APIC id, or every CPU but the sender (the id is then unused).
enum class IpiKind : uint32_t {
    Fixed = 0b000,
    Init = 0b101,
    Startup = 0b110
};
enum class IpiTarget {
    One,
    AllExcludingSelf
};
void lapic_send_ipi(IpiTarget target, uint32_t apic_id, IpiKind kind, uint8_t vector);

// --- pit.cpp: the 8254 programmable interval timer, as a stopwatch. ----------------------------
// Busy-waits `milliseconds` (at most 50) on channel 0; false when there is no PIT to count.
bool pit_wait(uint32_t milliseconds);

// --- ioapic.cpp: the I/O APIC, and the 8259 PICs it replaces. ----------------------------------
void pic_disable();
void ioapic_route(uint8_t irq, uint8_t vector, uint32_t apic_id);

// --- clock.cpp: the tick count and the monotonic clock. ----------------------------------------
inline constexpr uint32_t kTickHz = 100;
void clock_init(uint64_t tsc_khz);
void clock_tick();
uint64_t clock_ticks();
bool clock_has_tsc();
uint64_t clock_tsc_khz();  // 0 when unknown
// Nanoseconds since the clock started: by the TSC when its rate is known, else by ticks.
uint64_t clock_now_ns();

// --- syscall.cpp: the Linux x86-64 system calls the kernel implements. -----------------------
struct PerCpu;
// This CPU's SYSCALL MSRs (STAR, LSTAR, FMASK, EFER.SCE are per CPU) and IA32_KERNEL_GS_BASE.
void syscall_init_cpu(const PerCpu& cpu);
// Runs the system call in frame.rax with the arguments in the frame; the result lands in rax.
// Both entry paths (syscall_entry at ring 0, and trapped_syscall after a #PF) end here.
extern "C" void syscall_dispatch(SyscallFrame& frame);

// --- serial.cpp: the 16550A UART on COM1. -----------------------------------------------------
void serial_init();
void serial_write(const char* data, size_t length);
void serial_enable_receive_interrupt();
// Moves every received byte into `sink` (called from the interrupt handler).
void serial_drain(void (*sink)(char byte));

// --- console_input.cpp: received characters, buffered for readers. -----------------------------
void input_interrupt();  // kSerialVector's handler
// Blocks the task until input is there; copies at most `capacity` bytes, returns the count.
size_t input_read(char* buffer, size_t capacity);

// --- string.cpp: strlen, and the four functions the compiler may call on its own. --------------
// The length of a C string. Inline so that the compiler counts string literals itself (at -O2,
// __builtin_strlen of a literal is a constant); any other string goes to strlen in string.cpp,
// one `repne scasb`. Ring 0 runs emulated here, where a byte loop costs an instruction a byte:
// counting the literals print() was given was ~480 of the ~1,700 instructions of a boot.
inline size_t string_length(const char* text) { return __builtin_strlen(text); }

// --- console.cpp: text and numbers on the serial console. -------------------------------------
void print(const char* text, size_t length);
inline void print(const char* text) { print(text, string_length(text)); }
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
// Whether `flag` is one of the kernel's own words.
bool cmdline_has(const char* flag);
// The words after `--`, for init's argv; returns how many were stored (at most capacity).
size_t cmdline_init_arguments(Word* words, size_t capacity);

// --- user_memory.cpp: the user window every task sees, and the regions of RAM behind it. -------
// Each task's program and stack live in virtual [kUserBase, user_window_end()); the window is
// mapped to a region of RAM of its own (address_space.cpp).
inline constexpr uint64_t kUserBase = abi::kKernelRegionEnd;
inline constexpr uint64_t kLargePage = 0x20'0000;
void user_memory_init(const abi::BootInfo& boot);
uint64_t user_memory_end();  // end of RAM
// Sets the window's size (a multiple of 2 MiB) and finds regions for it in RAM outside
// [avoid_begin, avoid_end) (the init module); returns how many regions fit.
size_t user_window_init(uint64_t size, uint64_t avoid_begin, uint64_t avoid_end);
uint64_t user_window_end();
// A free region's guest-physical base (0 when none is free), and giving it back.
uint64_t user_region_claim();
void user_region_release(uint64_t base);
bool is_user_range(uint64_t address, uint64_t size);  // inside the window

// --- address_space.cpp: per-task page tables. ----------------------------------------------------
// The kernel's map with the user window pointing at `region`; returns the CR3 value.
uint64_t address_space_create(size_t slot, uint64_t region);
uint64_t kernel_address_space();  // the boot page tables: no user window at all

// --- exec.cpp: the init program (the module the loader passed), loaded into tasks. -------------
// Checks the module once (a bad one ends the VM with kStatusBadInit) and sizes the user window.
void program_init(const abi::BootInfo& boot);
bool program_present();
uint64_t program_entry();
// Copies the program into the current address space's window and builds its initial stack
// with `arguments`; returns the stack pointer.
uint64_t program_load(const Word* arguments, size_t count);

// --- task.cpp: tasks (a kernel stack, an address space, a state) and their life cycle. ---------
inline constexpr size_t kMaxTasks = 8;
// Starting: claimed, being built. Ready: running, or may run. Every state but Free is
// changed only under task_lock (below).
enum class TaskState {
    Free,
    Starting,
    Ready,
    Sleeping,
    WaitingInput,
    WaitingChild,
    Zombie
};
struct Task {
    TaskState state;
    uint32_t id;         // the pid; 0 while free
    uint32_t cpu;        // the CPU it runs on, for its whole life (the scheduler's run queue)
    Task* parent;        // who waits for it (the shell), or nullptr
    uint64_t saved_rsp;  // its kernel stack while it is switched out
    uint64_t stack_top;  // its kernel stack's top
    uint64_t cr3;
    uint64_t region;        // its user memory (0 for kernel tasks)
    void (*kernel_main)();  // a kernel task's body, or nullptr for a user task
    uint64_t user_entry, user_stack;
    uint64_t wake_at_ns;  // while Sleeping
    uint8_t exit_status;  // once a Zombie
};
Task* task_table();  // kMaxTasks entries
// The task table's states, every wait's condition (the console's input buffer, a child's end)
// and the user regions: one lock for all, as all are small and change only in short steps.
class Spinlock;
extern Spinlock task_lock;
// A ring-3 task running the program with `arguments` (argv[0] first), to run on CPU `cpu`;
// nullptr when no slot or region is free. It stays Starting until task_make_ready.
Task* task_spawn_user(const Word* arguments, size_t count, Task* parent, unsigned cpu);
Task* task_spawn_kernel(void (*main)(), unsigned cpu);  // made ready at once
void task_make_ready(Task* task);                       // Starting → Ready; its CPU is woken for it
// Ends the running task. When no task is left, the VM ends with the status of task 1.
[[noreturn]] void task_exit(uint8_t status);
// Waits for `child` to end, frees it and returns its status.
uint8_t task_wait(Task* child);

// --- scheduler.cpp: which task runs on each CPU: round robin over the tasks pinned to it,
// switching on its timer tick; its idle loop when none can run. --------------------------------
Task* current_task();               // this CPU's running task (nullptr in its idle loop)
[[noreturn]] void scheduler_run();  // each CPU, on its idle stack: run its tasks, else idle
// With task_lock held: the running task stops running as `state` says (Ready: a yield), the
// lock is released, and this returns when the task runs again.
void block(TaskState state);
void yield();
void sleep_until(uint64_t deadline_ns);
// With task_lock held: makes `task` Ready, and wakes its CPU if that is another one.
void wake(Task* task);
void wake_all(TaskState waiting);
void scheduler_tick(bool interrupted_user);

// --- shell.cpp: the console shell (`--cmdline shell`), a kernel task. ---------------------------
void shell_main();

// --- cpu.cpp: per-CPU state, and the set-up each CPU runs for itself. ----------------------------
// What each CPU keeps for itself. syscall_entry (trap_entry.S) reaches it through GS after
// SWAPGS (IA32_KERNEL_GS_BASE = its address), so the first two fields' offsets are ABI.
struct PerCpu {
    uint64_t kernel_stack_top;  // trap_entry.S PERCPU_KERNEL_STACK_TOP: the running task's stack
    uint64_t user_rsp;          // trap_entry.S PERCPU_USER_RSP: syscall_entry's scratch word
    uint32_t index;             // 0 = the boot processor, then in the order the APs arrived
    uint32_t apic_id;           // from its local APIC's ID register
    uint32_t online;            // set (release) once the CPU is ready
    // The scheduler's (scheduler.cpp), touched only by this CPU:
    Task* running;          // nullptr while the CPU idles
    uint64_t idle_rsp;      // the idle loop's stack pointer while a task runs
    uint64_t next_wake_ns;  // the earliest deadline of a task sleeping on this CPU
    size_t last_slot;       // round robin: the task table slot it ran last
};
void cpu_init(unsigned index);  // GDT, TSS, IDT, SYSCALL MSRs, local APIC, for this CPU
PerCpu& this_cpu();
PerCpu& cpu_record(unsigned index);
void cpu_mark_online(unsigned index);
bool cpu_is_online(unsigned index);
uint32_t cpus_online();
void cpu_wake(unsigned index);          // the wake-up IPI, unless `index` is this CPU
[[noreturn]] void cpu_halt_for_good();  // timer off, interrupts off, HLT (`haltall`)

// --- smp.cpp, ap_trampoline.S: starting the other CPUs (Intel SDM Vol. 3A §8.4). -------------
inline constexpr size_t kApStackSize = 16384;      // ap_trampoline.S AP_STACK_SIZE
inline constexpr size_t kApFaultStackSize = 4096;  // ap_trampoline.S AP_FAULT_STACK_SIZE
extern "C" {
extern const char ap_trampoline_start[], ap_trampoline_end[];
extern char ap_kernel_stacks[], ap_fault_stacks[];
[[noreturn]] void ap_main(uint32_t index);  // ap_trampoline.S calls it on the AP's own stack
}
// Boot processor, after interrupts_init: starts the other CPUs (INIT-SIPI-SIPI) and prints
// `cpus=N` and one line per CPU.
void smp_init(const abi::BootInfo& boot);
// The CPU the command line names for init (`initcpu=K`, default 0).
unsigned smp_init_cpu();

// --- main.cpp: the common boot path. -----------------------------------------------------------
[[noreturn]] void kernel_main(const abi::BootInfo& boot);

}  // namespace glassvm::guest

extern "C" {
void* memcpy(void* destination, const void* source, size_t size);
void* memmove(void* destination, const void* source, size_t size);
void* memset(void* destination, int value, size_t size);
int memcmp(const void* a, const void* b, size_t size);
size_t strlen(const char* text);
}
