// The seccomp allowlists, one per thread role: which system calls each thread of a running VM
// may make, with a reason for each (docs/RELIABILITY.md, "Sandbox", prints them as tables), and
// their translation into BPF by libseccomp. That translation runs at build time
// (compiler/compile_seccomp.cpp), as Firecracker's seccompiler does: glassvm loads the finished
// programs (precompiled_filters.hpp) instead of building them at every start.
// Everything else traps (SECCOMP_RET_TRAP → SIGSYS → forbidden_syscall_report.hpp). glassvm is
// linked statically against glibc, so these are the calls glibc itself makes on our behalf
// too: a thread ending (madvise, exit), a lock (futex), malloc's per-thread arena (mmap).
#pragma once

#include <linux/filter.h>
#include <seccomp.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "vmm/sandbox/thread_role.hpp"

namespace glassvm::sandbox {

// What the filter does with an allowed call: let it run, or (for a call glibc makes and copes
// without) fail it with EACCES without running it.
enum class Answer {
    Run,
    FailWithEacces
};

struct AllowedSyscall {
    std::string_view name;    // as libseccomp and strace spell it
    std::string_view reason;  // why this role needs it
    // Empty: any arguments. Otherwise the call is allowed when any one comparison holds.
    std::vector<scmp_arg_cmp> when_any = {};
    Answer answer = Answer::Run;
};

// The allowlist of `role`. `process_id` narrows the signal-sending calls to this process.
std::vector<AllowedSyscall> allowlist(ThreadRole role, int process_id);

// `role`'s allowlist as the BPF program libseccomp makes of it: anything else, and any call
// through the i386 or x32 tables, traps. Throws Error when libseccomp refuses.
std::vector<sock_filter> compile_allowlist(ThreadRole role, int process_id);

// The process id the build-time programs are compiled for; precompiled_filters.cpp puts the real
// one in its place. No process has it: Linux's pid_max is at most 4,194,304.
constexpr int kProcessIdPlaceholder = 0x7ec0ffee;

// A comparison with the placeholder (BPF_JMP | BPF_JEQ | BPF_K, k = the placeholder): where the
// process id goes.
constexpr bool compares_with_placeholder(const sock_filter& instruction) {
    return instruction.code == (BPF_JMP | BPF_JEQ | BPF_K) && instruction.k == uint32_t(kProcessIdPlaceholder);
}

}  // namespace glassvm::sandbox
