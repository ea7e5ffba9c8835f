// The seccomp filter: a default-allow libseccomp filter with an EPERM rule per denied call, and
// the argument rules for clone, personality and socket.
#include "container/seccomp_filter.hpp"

#include <sched.h>
#include <seccomp.h>

#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::container {

namespace {

using Filter = std::unique_ptr<std::remove_pointer_t<scmp_filter_ctx>, decltype(&seccomp_release)>;

// Every CLONE_NEW* flag: clone(2) with any of them would make a namespace.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                     CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;

// personality(2) may only set what Docker's profile lets through: 0 (PER_LINUX), 8
// (PER_LINUX32), 0x20000 (UNAME26), 0x20008 (both) and 0xffffffff (a query). Anything else —
// ADDR_NO_RANDOMIZE (0x0040000, turning off ASLR), READ_IMPLIES_EXEC, … — is EPERM.
//
// The filter allows by default, so this needs rules that match exactly the values outside
// that set; and libseccomp compares an argument at most once per rule (rules are OR-ed, the
// comparisons of one rule AND-ed). So the set is cut into single comparisons: the allowed
// values below 2^32 are the four combinations of bits 3 and 17, plus all-ones. A value outside
// the set has a set bit b other than 3 and 17 and some clear bit; walking up (cyclically) from
// b to the first clear bit c, bit c-1 is set — and if c-1 is bit 3 or 17, then c-2 (2 or 16)
// is set too, since the run started elsewhere. So "bit i set and bit i+1 clear" for every i but
// 3 and 17, "bit 2 set and bit 4 clear", "bit 16 set and bit 18 clear" (one masked compare
// each) and "above 0xffffffff" cover it exactly; personality_denials() lists them and
// tests/unit/test_box_security.cpp checks the claim.
void deny_personality_changes(scmp_filter_ctx filter) {
    for (const PersonalityDenial& denial : personality_denials()) {
        scmp_arg_cmp compare = denial.above_32_bits ? SCMP_A0(SCMP_CMP_GT, 0xffffffffULL)
                                                    : SCMP_A0(SCMP_CMP_MASKED_EQ, denial.mask, denial.value);
        check_negative_errno("seccomp: deny personality",
                             seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1, compare));
    }
}

}  // namespace

std::vector<PersonalityDenial> personality_denials() {
    std::vector<PersonalityDenial> denials;
    auto bit = [](unsigned n) { return uint64_t{1} << n; };
    for (unsigned i = 0; i < 32; ++i) {
        if (i == 3 || i == 17) continue;
        unsigned next = (i + 1) % 32;
        denials.push_back({bit(i) | bit(next), bit(i), false});
    }
    denials.push_back({bit(2) | bit(4), bit(2), false});
    denials.push_back({bit(16) | bit(18), bit(16), false});
    denials.push_back({0, 0, true});
    return denials;
}

bool personality_allowed(uint64_t persona) {
    for (const PersonalityDenial& denial : personality_denials()) {
        if (denial.above_32_bits ? persona > 0xffffffffULL : (persona & denial.mask) == denial.value) return false;
    }
    return true;
}

const std::vector<std::string_view>& denied_syscalls() {
    static const std::vector<std::string_view> names = {
        // rebooting into or loading another kernel, kernel modules
        "kexec_load",
        "kexec_file_load",
        "reboot",
        "init_module",
        "finit_module",
        "delete_module",
        "create_module",
        "query_module",
        "get_kernel_syms",
        // keyrings (not namespaced), bpf, performance counters, tracing other processes
        "keyctl",
        "add_key",
        "request_key",
        "bpf",
        "perf_event_open",
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "kcmp",
        // filesystems: mounting (old and new API), swap, quotas, handles that escape a chroot
        "mount",
        "umount",
        "umount2",
        "pivot_root",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "open_tree",
        "move_mount",
        "mount_setattr",
        "swapon",
        "swapoff",
        "quotactl",
        "quotactl_fd",
        "open_by_handle_at",
        "name_to_handle_at",
        "nfsservctl",
        "uselib",
        "sysfs",
        "_sysctl",
        "ustat",
        "lookup_dcookie",
        // namespaces
        "unshare",
        "setns",
        // the clock (not namespaced), accounting, NUMA and I/O privilege, old vm86 mode
        "settimeofday",
        "stime",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        "acct",
        "iopl",
        "ioperm",
        "vm86",
        "vm86old",
        "mbind",
        "set_mempolicy",
        "move_pages",
        "userfaultfd",
        // What Docker's default profile (moby's profiles/seccomp/default.json; io_uring since
        // Docker 25, as containerd's) also refuses a container without CAP_SYS_ADMIN,
        // CAP_SYS_PTRACE, CAP_SYS_NICE, CAP_SYSLOG or CAP_SYS_TTY_CONFIG, and that this list
        // lacked: io_uring (a second system call path that seccomp cannot see into, and a long
        // record of kernel bugs), the kernel log, another process's descriptors and memory
        // advice, NUMA policy, hostnames, fanotify, hanging up the terminal, and the calls no
        // kernel implements.
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "syslog",
        "pidfd_getfd",
        "process_madvise",
        "get_mempolicy",
        "set_mempolicy_home_node",
        "migrate_pages",
        "sethostname",
        "setdomainname",
        "fanotify_init",
        "vhangup",
        "afs_syscall",
        "getpmsg",
        "putpmsg",
        "security",
        "tuxcall",
        "vserver",
    };
    return names;
}

void install_seccomp_filter() {
    Filter filter(seccomp_init(SCMP_ACT_ALLOW), seccomp_release);
    if (!filter) throw Error(ErrorKind::System, "seccomp: seccomp_init failed");
    // The same rules for 32-bit (int 0x80) and x32 calls, which reach the kernel through other
    // system call tables: a deny list for x86-64 alone would let them through.
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
        int rc = seccomp_arch_add(filter.get(), arch);
        if (rc < 0 && rc != -EEXIST) check_negative_errno("seccomp: add architecture", rc);
    }
    for (std::string_view name : denied_syscalls()) {
        int number = seccomp_syscall_resolve_name(std::string(name).c_str());
        if (number == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp
        int rc = seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), number, 0);
        // A call that exists on no architecture of the filter (vm86 on x86-64 alone) is fine.
        if (rc < 0 && rc != -EDOM && rc != -EINVAL) check_negative_errno(fmt::format("seccomp: deny {}", name), rc);
    }
    // clone may make threads and processes, but no namespace (runc's rule; one rule per flag,
    // as a rule compares (flags & mask) == value). clone3 passes its
    // flags in memory, which seccomp cannot read: like runc, answer ENOSYS so that libc falls
    // back to clone, where the rule above applies.
    for (uint64_t flag = 1; flag != 0; flag <<= 1) {
        if (!(kNamespaceFlags & flag)) continue;
        check_negative_errno("seccomp: deny clone with CLONE_NEW*",
                             seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                              SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)));
    }
    check_negative_errno("seccomp: clone3",
                         seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0));
    deny_personality_changes(filter.get());
    // Docker's profile allows socket(2) for every family but AF_VSOCK (the hypervisor's sockets,
    // a way to the host's or a guest's services); it allows AF_ALG, and so does this filter.
    check_negative_errno("seccomp: deny socket AF_VSOCK",
                         seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
                                          SCMP_A0(SCMP_CMP_EQ, 40 /* AF_VSOCK */)));
    check_negative_errno("seccomp: load", seccomp_load(filter.get()));
}

}  // namespace glassvm::container
