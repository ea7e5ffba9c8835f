// The releaser: a process that shares glassvm's memory (CLONE_VM, as posix_spawn's child does),
// started through a short-lived middle process so that it is not glassvm's child. It closes
// everything but the KVM fds and the "caller still holds the VM" pipe, waits for the pipe to
// reach EOF (the caller has dropped its references, so the releaser holds the last ones), then
// unmaps its own stack and exits.
//
// Why not fork: fork copies glassvm's page tables and makes every page it writes afterwards a
// copy-on-write fault, twice over for a grandchild (~0.25 ms of a ~2.5 ms run, measured with
// perf). Sharing the memory costs neither. The price is care: the releaser runs beside glassvm
// in the same memory, so it reads only what was copied onto its own stack before it started,
// makes system calls itself (glibc's wrappers would write errno, which is glassvm's main
// thread's), and starts with every signal blocked, so no handler of glassvm's runs in it.
#include "vmm/run/background_release.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <new>

namespace glassvm {

namespace {

constexpr size_t kReleaserStackSize = 64 * 1024;
constexpr size_t kMaxKept = 64;  // the VM, its vCPUs and devices: far fewer

// Everything the releaser reads, written at the bottom of its stack before it starts.
struct ReleaserPlan {
    int keep[kMaxKept];  // sorted
    size_t kept;
    int held;     // the pipe's read end (also in `keep`)
    void* stack;  // the mapping this plan and the releaser's stack are in
};

long raw_syscall(long number, long a = 0, long b = 0, long c = 0) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

// munmap(stack) and exit(0) with no memory access between them: the stack is gone after the first.
[[noreturn]] void unmap_stack_and_exit(void* stack) {
    asm volatile(
        "syscall\n\t"
        "movl %[exit], %%eax\n\t"
        "xorl %%edi, %%edi\n\t"
        "syscall\n\t"
        "ud2"
        :
        : "a"(long(SYS_munmap)), "D"(stack), "S"(kReleaserStackSize), [exit] "i"(SYS_exit)
        : "rcx", "r11", "memory");
    __builtin_unreachable();
}

// The releaser's whole life: hold the VM until `held` reaches EOF, then let it go. (Not
// instrumented by AddressSanitizer: it never returns, so its frame's poisoned shadow would
// outlive the stack it unmaps.)
[[gnu::no_sanitize_address]] int releaser(void* argument) {
    const ReleaserPlan& plan = *static_cast<const ReleaserPlan*>(argument);
    unsigned first = 0;  // close_range(2) over the gaps between the kept descriptors
    for (size_t i = 0; i < plan.kept; ++i) {
        if (static_cast<unsigned>(plan.keep[i]) > first) raw_syscall(SYS_close_range, first, plan.keep[i] - 1, 0);
        first = unsigned(plan.keep[i]) + 1;
    }
    raw_syscall(SYS_close_range, first, UINT_MAX, 0);  // also this process's copy of the write end
    char byte;
    while (raw_syscall(SYS_read, plan.held, reinterpret_cast<long>(&byte), 1) == -EINTR) {
    }                                  // nobody writes: read ends with EOF when the caller's write end is closed
    unmap_stack_and_exit(plan.stack);  // exiting closes the KVM fds: the kernel tears the VM down here
}

// The middle process runs while the caller waits (CLONE_VFORK): start the releaser, end.
[[gnu::no_sanitize_address]] int middle(void* argument) {
    auto* plan = static_cast<ReleaserPlan*>(argument);
    char* stack_top = static_cast<char*>(plan->stack) + kReleaserStackSize;
    long started = ::clone(releaser, stack_top, CLONE_VM | SIGCHLD, plan);
    raw_syscall(SYS_exit, started == -1 ? 1 : 0);
    __builtin_unreachable();
}

}  // namespace

Fd release_vm_in_background(std::span<const int> kvm_fds) {
    if (kvm_fds.size() + 1 > kMaxKept) return {};
    int pipe_ends[2];
    if (::pipe2(pipe_ends, O_CLOEXEC) != 0) return {};
    Fd held(pipe_ends[0]), releases(pipe_ends[1]);
    void* stack =
        ::mmap(nullptr, kReleaserStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return {};
    auto* plan = new (stack) ReleaserPlan{};
    std::copy(kvm_fds.begin(), kvm_fds.end(), plan->keep);
    plan->keep[kvm_fds.size()] = held.get();
    plan->kept = kvm_fds.size() + 1;
    std::sort(plan->keep, plan->keep + plan->kept);
    plan->held = held.get();
    plan->stack = stack;

    // The middle runs on this buffer while this thread is suspended (CLONE_VFORK).
    alignas(16) char middle_stack[16 * 1024];
    sigset_t everything, previous;
    sigfillset(&everything);
    ::pthread_sigmask(SIG_SETMASK, &everything, &previous);
    pid_t child = ::clone(middle, middle_stack + sizeof middle_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    int status = 0;
    if (child != -1)
        while (::waitpid(child, &status, 0) == -1 && errno == EINTR) {}
    if (child == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {  // no releaser: release it ourselves
        ::munmap(stack, kReleaserStackSize);
        return {};
    }
    return releases;  // `held` closes here: only the releaser reads the pipe
}

}  // namespace glassvm
