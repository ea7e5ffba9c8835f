// The seccomp filter: system calls the box's workload may not make, answered with EPERM by
// the kernel before the call runs. The list is what runc's (Docker's) default profile denies
// to a container without CAP_SYS_ADMIN: kexec, modules, keyrings, bpf, ptrace, mount and
// the new mount API, swap, reboot, clock setting, perf_event_open, userfaultfd, io_uring,
// personality other than Docker's five values, AF_VSOCK sockets, namespace
// creation (unshare, setns, clone with CLONE_NEW*) and more. Built with libseccomp, for the
// x86-64, i386 and x32 system call tables alike.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace glassvm::container {

// The denied system calls, by name (for docs, tests and `glassvm box` users).
const std::vector<std::string_view>& denied_syscalls();

// personality(2)'s argument rules (seccomp_filter.cpp says how they are derived): EPERM when
// (argument & mask) == value, or, for the last, when the argument is above 32 bits.
struct PersonalityDenial {
    uint64_t mask = 0, value = 0;
    bool above_32_bits = false;
};
std::vector<PersonalityDenial> personality_denials();
// What the rules above decide: true for 0, 8, 0x20000, 0x20008 and 0xffffffff only.
bool personality_allowed(uint64_t persona);

// Loads the filter into the calling thread (inherited by everything it starts). Needs
// PR_SET_NO_NEW_PRIVS set or CAP_SYS_ADMIN.
void install_seccomp_filter();

}  // namespace glassvm::container
