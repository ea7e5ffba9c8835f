// The allowlists as data, and their translation into BPF by libseccomp (at build time).
#include "vmm/sandbox/seccomp_policy.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "vmm/kvm/cpuid_ioctls.hpp"  // the KVM_GET_CPUID2 number C++ gets right (check-layers allows this one)

namespace glassvm::sandbox {

namespace {

using Filter = std::unique_ptr<std::remove_pointer_t<scmp_filter_ctx>, decltype(&seccomp_release)>;

// ioctl(fd, REQUEST, …) for each of `requests` only: the KVM calls a running VM needs, none of
// those that build one (no new vCPUs, memory slots or devices once the guest runs).
std::vector<scmp_arg_cmp> requests(std::initializer_list<unsigned long> allowed) {
    std::vector<scmp_arg_cmp> comparisons;
    for (unsigned long request : allowed) comparisons.push_back(SCMP_A1(SCMP_CMP_EQ, request));
    return comparisons;
}

// No new executable memory: mmap and mprotect without PROT_EXEC (argument 2 for both).
std::vector<scmp_arg_cmp> not_executable() { return {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}; }

// What every thread needs: locks, signals, memory for malloc, ending itself or glassvm.
std::vector<AllowedSyscall> common() {
    return {
        {"futex", "mutexes, condition variables and thread joins"},
        {"write", "serial output, messages on stderr, and this report of a forbidden call"},
        {"rt_sigprocmask", "glibc masks signals around pthread_kill and a thread's exit"},
        {"rt_sigreturn", "returning from the kick signal's handler (it interrupts KVM_RUN, poll)"},
        {"restart_syscall", "a call interrupted by a signal resumes"},
        {"mmap", "malloc's per-thread arena (never executable)", not_executable()},
        {"mprotect", "malloc grows its arena (never executable)", not_executable()},
        {"munmap", "malloc trims its arena"},
        {"madvise", "malloc and a thread's exit hand unused pages back"},
        {"exit", "the thread ends"},
        {"exit_group", "glassvm ends (also how a forbidden call ends it)"},
        // The vDSO answers these without entering the kernel only when user space can read the
        // clock source (TSC, kvm-clock). Where it cannot (HPET, the ACPI PM timer, a TSC the
        // kernel marked unstable: the KVM lab, Xen and many VMs), glibc falls back to the real
        // system call, from any thread that reads a clock (timeouts, statistics, the gdb stub).
        {"clock_gettime", "reading a clock (the vDSO's fallback where it cannot read the clock source)"},
        {"gettimeofday", "reading the time of day (the vDSO's fallback)"},
        {"time", "reading the time in seconds (the vDSO's fallback)"},
        {"clock_getres", "a clock's resolution (the vDSO's fallback)"},
        {"getcpu", "which CPU runs this thread (the vDSO's fallback)"},
        // glibc's malloc opens /proc/sys/vm/overcommit_memory the first time it shrinks a
        // thread's heap, and carries on without it if the open fails: that one form (read-only,
        // close-on-exec) is refused with EACCES instead of ending glassvm. No file is opened.
        {"openat",
         "refused (EACCES): malloc's one look at /proc/sys/vm/overcommit_memory",
         {SCMP_A2(SCMP_CMP_EQ, O_RDONLY | O_CLOEXEC)},
         Answer::FailWithEacces},
    };
}

// stdio's first write to a FILE asks what it writes to: fstat(2), which glibc makes as
// newfstatat(fd, "", …, AT_EMPTY_PATH). Only that form: no looking at paths.
AllowedSyscall fstat_of_descriptor(std::string_view why) {
    return {"newfstatat", why, {SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH)}};
}

// The signal that kicks a vCPU out of KVM_RUN, sent to a thread of this process only.
std::vector<AllowedSyscall> kicking(int process_id) {
    return {
        {"getpid", "pthread_kill names the process"},
        {"tgkill",
         "the kick: a signal to a vCPU thread of this process",
         {SCMP_A0(SCMP_CMP_EQ, static_cast<uint64_t>(process_id))}},
    };
}

std::vector<AllowedSyscall> vcpu() {
    return {
        {"ioctl",
         "KVM_RUN; registers and mp_state (halt watch, reports); KVM_IRQ_LINE (the UART); "
         "KVM_(UN)REGISTER_COALESCED_MMIO (THR queued or not, as the guest writes IER and MCR)",
         requests({KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_MP_STATE, KVM_IRQ_LINE,
                   KVM_REGISTER_COALESCED_MMIO, KVM_UNREGISTER_COALESCED_MMIO})},
        fstat_of_descriptor("the exit trace's first line (--trace-exits)"),
    };
}

// The stepper and the gdb stub serve their user from the vCPU thread, and the stub starts a
// thread that reads the connection (it inherits this filter).
std::vector<AllowedSyscall> debugged_vcpu(int process_id) {
    std::vector<AllowedSyscall> calls = {
        {"ioctl", "as a vCPU's, plus KVM_SET_GUEST_DEBUG and KVM_GET_CPUID2 (breakpoints, single-step)",
         requests({KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_MP_STATE, KVM_IRQ_LINE,
                   KVM_SET_GUEST_DEBUG, kvm_ioctl::kGetCpuid2})},
        fstat_of_descriptor("stdio on the trace and on the stepper's stdin"),
        {"read", "the stepper's commands from stdin"},
        {"poll", "waiting for gdb to connect, and for its packets"},
        {"accept4", "gdb connects"},
        {"recvfrom", "gdb's packets"},
        {"sendto", "replies to gdb"},
        {"setsockopt", "the connection's send timeout"},
        {"shutdown", "closing the connection to gdb"},
        {"close", "closing the connection to gdb"},
        {"eventfd2", "the connection reader's wake-up"},
        {"clone3", "starting the connection's reader thread"},
        {"clone",
         "starting the reader thread (glibc's fallback to clone3)",
         {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)}},
        {"set_robust_list", "the new reader thread registers its robust futex list"},
        {"rseq", "the new reader thread registers restartable sequences"},
    };
    for (AllowedSyscall& call : kicking(process_id)) calls.push_back(std::move(call));
    return calls;
}

std::vector<AllowedSyscall> stdin_pump() {
    return {
        {"poll", "waiting for host input or the stop event"},
        {"read", "host input"},
        {"ioctl", "KVM_IRQ_LINE: the UART's interrupt when a byte arrives", requests({KVM_IRQ_LINE})},
    };
}

// The two processes background_release.cpp starts: the middle one (sharing memory, this thread
// suspended until it ends, as posix_spawn's) and the releaser it starts. Processes only: never
// a thread (CLONE_THREAD) or a namespace.
constexpr uint64_t kMiddleProcessFlags = CLONE_VM | CLONE_VFORK | SIGCHLD;
constexpr uint64_t kReleaserFlags = CLONE_VM | SIGCHLD;

std::vector<AllowedSyscall> main_thread(int process_id) {
    std::vector<AllowedSyscall> calls = {
        {"ioctl",
         "registers and mp_state of each vCPU for the timeout report; KVM_IRQ_LINE (the UART's line "
         "may move as the main thread performs the guest's queued writes)",
         requests({KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_MP_STATE, KVM_IRQ_LINE})},
        {"brk", "malloc's main arena"},
        {"close", "tearing down: trace file, eventfds, the VM's descriptors"},
        fstat_of_descriptor("stdio on stderr (the statistics table)"),
        {"pipe2", "background teardown: the parent-alive pipe"},
        {"clone",
         "background teardown: the middle process and the releaser (processes only, sharing memory)",
         {SCMP_A0(SCMP_CMP_EQ, kMiddleProcessFlags), SCMP_A0(SCMP_CMP_EQ, kReleaserFlags)}},
        {"wait4", "background teardown: reaping the short-lived middle process (the releaser is its child)"},
        {"close_range", "the releaser closes all but the VM's descriptors"},
        {"read", "the releaser waits for glassvm's end"},
    };
    for (AllowedSyscall& call : kicking(process_id)) calls.push_back(std::move(call));
    return calls;
}

}  // namespace

std::vector<AllowedSyscall> allowlist(ThreadRole role, int process_id) {
    std::vector<AllowedSyscall> calls = common();
    std::vector<AllowedSyscall> own;
    switch (role) {
        case ThreadRole::Main:
            own = main_thread(process_id);
            break;
        case ThreadRole::Vcpu:
            own = vcpu();
            break;
        case ThreadRole::DebuggedVcpu:
            own = debugged_vcpu(process_id);
            break;
        case ThreadRole::StdinPump:
            own = stdin_pump();
            break;
    }
    for (AllowedSyscall& call : own) calls.push_back(std::move(call));
    return calls;
}

std::vector<sock_filter> compile_allowlist(ThreadRole role, int process_id) {
    Filter filter(seccomp_init(SCMP_ACT_TRAP), seccomp_release);
    if (!filter) throw Error(ErrorKind::System, "seccomp: seccomp_init failed");
    check_negative_errno("seccomp: bad-architecture action",
                         seccomp_attr_set(filter.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP));
    // A vCPU thread's KVM_RUN is the call made most, once per exit: its checks come first.
    check_negative_errno("seccomp: ioctl first", seccomp_syscall_priority(filter.get(), SCMP_SYS(ioctl), 255));
    for (const AllowedSyscall& call : allowlist(role, process_id)) {
        int number = seccomp_syscall_resolve_name(std::string(call.name).c_str());
        if (number == __NR_SCMP_ERROR)
            throw Error(ErrorKind::Internal, fmt::format("seccomp: unknown system call {}", call.name));
        std::string operation = fmt::format("seccomp: allow {}", call.name);
        uint32_t action = call.answer == Answer::Run ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EACCES);
        if (call.when_any.empty()) {
            check_negative_errno(operation, seccomp_rule_add(filter.get(), action, number, 0));
            continue;
        }
        for (const scmp_arg_cmp& comparison : call.when_any)
            check_negative_errno(operation, seccomp_rule_add(filter.get(), action, number, 1, comparison));
    }
    // libseccomp 2.5 exports to a descriptor only: a memory file, read back whole.
    Fd program(::memfd_create("seccomp-program", MFD_CLOEXEC));
    if (!program) throw Error::from_errno("memfd_create", errno);
    check_negative_errno("seccomp: export", seccomp_export_bpf(filter.get(), program.get()));
    off_t size = ::lseek(program.get(), 0, SEEK_END);
    if (size <= 0 || size % sizeof(sock_filter) != 0)
        throw Error(ErrorKind::Internal, "seccomp: odd-sized BPF program");
    std::vector<sock_filter> instructions(size_t(size) / sizeof(sock_filter));
    if (::pread(program.get(), instructions.data(), size_t(size), 0) != size)
        throw Error::from_errno("read BPF program", errno);
    return instructions;
}

}  // namespace glassvm::sandbox
