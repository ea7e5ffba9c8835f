// The allowlists as glassvm loads them: BPF programs compiled at build time
// (compiler/compile_seccomp.cpp), with this process's id put in, handed to seccomp(2) as they
// are. No libseccomp at run time: building a filter cost ~0.25 ms of every start, per thread.
#pragma once

#include <linux/filter.h>

#include <span>
#include <vector>

#include "vmm/sandbox/thread_role.hpp"

namespace glassvm::sandbox {

// `role`'s program as compiled, and how many of its comparisons name kProcessIdPlaceholder.
struct PrecompiledProgram {
    std::span<const sock_filter> instructions;
    size_t placeholders;
};
PrecompiledProgram precompiled_program(ThreadRole role);

// `role`'s program for the process `process_id`: the placeholder replaced by it.
std::vector<sock_filter> program_for_process(ThreadRole role, int process_id);

// Loads `role`'s program into the calling thread (threads it starts afterwards inherit it).
// Needs no_new_privs (privileges.hpp). Throws Error when the kernel refuses.
void install_allowlist(ThreadRole role, int process_id);

// The x86-64 name of a system call number ("openat"), or nullptr. Async-signal-safe.
const char* syscall_name(unsigned long number);

}  // namespace glassvm::sandbox
