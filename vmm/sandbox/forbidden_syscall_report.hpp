// What happens when a confined thread makes a call its allowlist lacks: the kernel stops the
// call (SECCOMP_RET_TRAP) and raises SIGSYS on that thread; the handler writes
//   glassvm: sandbox: the vcpu 0 thread made a forbidden system call: openat (257)
// to stderr and ends glassvm with kExitSandboxViolation (125).
//
// A signal handler may only do async-signal-safe work, and inside the sandbox it may only make
// allowed calls (write, exit_group). So everything it needs is ready before any filter is
// loaded: the name of every system call number (a constant table made at build time,
// precompiled_filters.hpp), and each thread's label, set by the thread itself before it loads
// its filter, in a thread_local buffer — the only global state in the VMM: a signal handler
// gets no argument to carry it.
#pragma once

#include <string_view>
#include "base/error.hpp"

namespace glassvm::sandbox {

// Installs the SIGSYS handler, process-wide. Call on the main thread before any thread is
// started or confined; idempotent.
void install_forbidden_syscall_report();

// Names the calling thread in the report ("vcpu 0"); truncated to 31 characters.
void set_thread_label(std::string_view label);

}  // namespace glassvm::sandbox
