// System calls: setting up SYSCALL, and the small subset of the Linux x86-64 ABI that init may
// use, behind the one dispatcher both entry paths (trap_entry.S) call.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

// Linux x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl) and errno values.
enum : uint64_t {
    kRead = 0,
    kWrite = 1,
    kSchedYield = 24,
    kNanosleep = 35,
    kGetpid = 39,
    kExit = 60,
    kUname = 63,
    kGetppid = 110,
    kClockGettime = 228,
    kClockNanosleep = 230,
    kExitGroup = 231,
    kGetcpu = 309,
    kSyscallCount,
};
constexpr int64_t kEbadf = 9, kEfault = 14, kEinval = 22, kEnosys = 38;
constexpr uint64_t kClockMonotonic = 1;
constexpr uint64_t kTimerAbsolute = 1;  // TIMER_ABSTIME
constexpr uint64_t kNanosecondsPerSecond = 1'000'000'000;

constexpr uint64_t kRflagsTrap = 1u << 8, kRflagsInterrupt = 1u << 9, kRflagsDirection = 1u << 10;

// Each handler reads its arguments from the frame, Linux's order: RDI, RSI, RDX, R10, R8, R9.

// fd 0 is the console: blocks until at least one character was received, returns what there is.
int64_t sys_read(const SyscallFrame& call) {
    uint64_t fd = call.rdi, buffer = call.rsi, size = call.rdx;
    if (fd != 0) return -kEbadf;
    if (!is_user_range(buffer, size)) return -kEfault;
    if (size == 0) return 0;
    return int64_t(input_read(reinterpret_cast<char*>(buffer), size));
}

int64_t sys_write(const SyscallFrame& call) {
    uint64_t fd = call.rdi, buffer = call.rsi, size = call.rdx;
    if (fd != 1 && fd != 2) return -kEbadf;
    if (!is_user_range(buffer, size)) return -kEfault;
    serial_write(reinterpret_cast<const char*>(buffer), size);
    return int64_t(size);
}

[[noreturn]] int64_t sys_exit(const SyscallFrame& call) { task_exit(uint8_t(call.rdi & 0xff)); }

int64_t sys_getpid(const SyscallFrame&) { return current_task()->id; }

int64_t sys_getppid(const SyscallFrame&) {
    Task* parent = current_task()->parent;
    return parent ? parent->id : 0;
}

int64_t sys_sched_yield(const SyscallFrame&) {
    yield();
    return 0;
}

// A struct timespec from user memory, as nanoseconds: 0, or -EFAULT / -EINVAL. Times past
// ~300 years are cut to that, so the sums below cannot overflow.
int64_t read_timespec(uint64_t address, uint64_t& nanoseconds) {
    constexpr int64_t kLongestSeconds = int64_t{1} << 33;
    if (!is_user_range(address, 16)) return -kEfault;
    int64_t time[2];
    memcpy(time, reinterpret_cast<const void*>(address), sizeof time);
    if (time[0] < 0 || time[1] < 0 || uint64_t(time[1]) >= kNanosecondsPerSecond) return -kEinval;
    if (time[0] > kLongestSeconds) time[0] = kLongestSeconds;
    nanoseconds = uint64_t(time[0]) * kNanosecondsPerSecond + uint64_t(time[1]);
    return 0;
}

// The task sleeps until the deadline (in whole timer ticks: it wakes at the first tick after).
// Nothing interrupts a sleep here, so the remaining time is never written.
int64_t sys_nanosleep(const SyscallFrame& call) {
    uint64_t duration;
    if (int64_t error = read_timespec(call.rdi, duration)) return error;
    sleep_until(clock_now_ns() + duration);
    return 0;
}

int64_t sys_clock_nanosleep(const SyscallFrame& call) {
    uint64_t clock = call.rdi, flags = call.rsi, time;
    if (clock != kClockMonotonic) return -kEinval;
    if (int64_t error = read_timespec(call.rdx, time)) return error;
    sleep_until(flags & kTimerAbsolute ? time : clock_now_ns() + time);
    return 0;
}

// struct utsname, as Linux's new_utsname: six fields of 65 bytes.
struct Utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

void set_field(char (&field)[65], const char* text, size_t length) {
    if (length > sizeof field - 1) length = sizeof field - 1;
    memcpy(field, text, length);
}

int64_t sys_uname(const SyscallFrame& call) {
    uint64_t address = call.rdi;
    if (!is_user_range(address, sizeof(Utsname))) return -kEfault;
    Utsname name;
    memset(&name, 0, sizeof name);
    Word hostname = cmdline_value("hostname");
    if (hostname.length == 0) hostname = {"glassvm", 7};
    set_field(name.sysname, "glassvm", 7);
    set_field(name.nodename, hostname.text, hostname.length);
    set_field(name.release, GLASSVM_VERSION, sizeof GLASSVM_VERSION - 1);
    set_field(name.version, "#1 glassvm guest kernel", 23);
    set_field(name.machine, "x86_64", 6);
    set_field(name.domainname, "(none)", 6);
    memcpy(reinterpret_cast<void*>(address), &name, sizeof name);
    return 0;
}

// CLOCK_MONOTONIC is the TSC since reset (clock.cpp); without a known TSC rate there is no
// clock to offer. CLOCK_REALTIME is refused: the kernel has no idea of the date.
int64_t sys_clock_gettime(const SyscallFrame& call) {
    uint64_t clock = call.rdi, address = call.rsi;
    if (clock != kClockMonotonic || !clock_has_tsc()) return -kEinval;
    if (!is_user_range(address, 16)) return -kEfault;
    uint64_t now = clock_now_ns();
    int64_t time[2] = {int64_t(now / kNanosecondsPerSecond), int64_t(now % kNanosecondsPerSecond)};
    memcpy(reinterpret_cast<void*>(address), time, sizeof time);
    return 0;
}

// getcpu(unsigned* cpu, unsigned* node, void* cache): the CPU this runs on (one NUMA node, 0).
// Either pointer may be null; the cache argument is unused since Linux 2.6.24.
int64_t sys_getcpu(const SyscallFrame& call) {
    uint64_t cpu = call.rdi, node = call.rsi;
    if ((cpu != 0 && !is_user_range(cpu, 4)) || (node != 0 && !is_user_range(node, 4))) return -kEfault;
    if (cpu != 0) *reinterpret_cast<uint32_t*>(cpu) = this_cpu().index;
    if (node != 0) *reinterpret_cast<uint32_t*>(node) = 0;
    return 0;
}

// The system call table, indexed by number, as Linux's sys_call_table; empty slots are -ENOSYS.
// A table rather than a switch: ring 0 costs ~1 µs an instruction on this host, and a lookup
// takes a handful where a switch's compare chain takes dozens.
using Handler = int64_t (*)(const SyscallFrame&);
struct SyscallTable {
    Handler handler[kSyscallCount] = {};
};

constexpr SyscallTable make_table() {
    SyscallTable table;
    table.handler[kRead] = sys_read;
    table.handler[kWrite] = sys_write;
    table.handler[kSchedYield] = sys_sched_yield;
    table.handler[kNanosleep] = sys_nanosleep;
    table.handler[kGetpid] = sys_getpid;
    table.handler[kExit] = sys_exit;
    table.handler[kUname] = sys_uname;
    table.handler[kGetppid] = sys_getppid;
    table.handler[kClockGettime] = sys_clock_gettime;
    table.handler[kClockNanosleep] = sys_clock_nanosleep;
    table.handler[kExitGroup] = sys_exit;  // one thread a task, so exit and exit_group agree
    table.handler[kGetcpu] = sys_getcpu;
    return table;
}
constexpr SyscallTable kTable = make_table();

}  // namespace

// Fast system calls in 64-bit mode (SDM Vol. 3A, "Fast System Calls in 64-Bit Mode"; Vol. 2B,
// SYSCALL/SYSRET): LSTAR = entry point, STAR = selector bases (see gdt.cpp for the order they
// force), FMASK = RFLAGS bits cleared on entry, EFER.SCE = enable.
// On this development host SYSCALL arrives elsewhere: see trapped_syscall in trap_entry.S.
// The MSRs belong to each CPU, so every CPU runs this for itself (cpu.cpp's cpu_init).
// IA32_KERNEL_GS_BASE holds the CPU's PerCpu (for SWAPGS in syscall_entry, and this_cpu());
// IA32_TSC_AUX, which RDTSCP returns, its index (as Linux does), where the CPU has RDTSCP
// (CPUID 8000_0001H EDX[27]).
void syscall_init_cpu(const PerCpu& cpu) {
    x86::write_msr(x86::kMsrEfer, x86::read_msr(x86::kMsrEfer) | x86::kEferSce);
    constexpr uint64_t kSyscallBase = kKernelCode;          // CS = 0x08, SS = 0x10
    constexpr uint64_t kSysretBase = (kUserData & ~3) - 8;  // SS = 0x18|3, CS = 0x20|3
    x86::write_msr(x86::kMsrStar, (kSysretBase << 48) | (kSyscallBase << 32));
    x86::write_msr(x86::kMsrLstar, reinterpret_cast<uint64_t>(&syscall_entry));
    x86::write_msr(x86::kMsrFmask, kRflagsInterrupt | kRflagsDirection | kRflagsTrap);
    x86::write_msr(x86::kMsrKernelGsBase, reinterpret_cast<uint64_t>(&cpu));
    constexpr uint32_t kRdtscp = 1u << 27;
    if (x86::cpuid(0x8000'0001).edx & kRdtscp) x86::write_msr(x86::kMsrTscAux, cpu.index);
}

extern "C" void syscall_dispatch(SyscallFrame& frame) {
    Handler handler = frame.rax < kSyscallCount ? kTable.handler[frame.rax] : nullptr;
    frame.rax = handler != nullptr ? uint64_t(handler(frame)) : uint64_t(-kEnosys);
}

}  // namespace glassvm::guest
