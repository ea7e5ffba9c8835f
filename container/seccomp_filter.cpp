// The seccomp filter: a default-allow libseccomp filter with an EPERM rule per denied call.
#include "container/seccomp_filter.hpp"

#include <sched.h>
#include <seccomp.h>

#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glassvm::container {

namespace {

using Filter = std::unique_ptr<std::remove_pointer_t<scmp_filter_ctx>, decltype(&seccomp_release)>;

// Every CLONE_NEW* flag: clone(2) with any of them would make a namespace.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;

void check_seccomp(std::string_view operation, int rc) {
    if (rc < 0) throw Error::from_errno(fmt::format("seccomp: {}", operation), -rc);
}

}  // namespace

const std::vector<std::string_view>& denied_syscalls() {
    static const std::vector<std::string_view> names = {
        // rebooting into or loading another kernel, kernel modules
        "kexec_load", "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module",
        "create_module", "query_module", "get_kernel_syms",
        // keyrings (not namespaced), bpf, performance counters, tracing other processes
        "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "ptrace",
        "process_vm_readv", "process_vm_writev", "kcmp",
        // filesystems: mounting (old and new API), swap, quotas, handles that escape a chroot
        "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
        "open_tree", "move_mount", "mount_setattr", "swapon", "swapoff", "quotactl",
        "quotactl_fd", "open_by_handle_at", "name_to_handle_at", "nfsservctl", "uselib",
        "sysfs", "_sysctl", "ustat", "lookup_dcookie",
        // namespaces
        "unshare", "setns",
        // the clock (not namespaced), accounting, NUMA and I/O privilege, old vm86 mode
        "settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex", "acct",
        "iopl", "ioperm", "vm86", "vm86old", "mbind", "set_mempolicy", "move_pages",
        "userfaultfd",
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
        if (rc < 0 && rc != -EEXIST) check_seccomp("add architecture", rc);
    }
    for (std::string_view name : denied_syscalls()) {
        int number = seccomp_syscall_resolve_name(std::string(name).c_str());
        if (number == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp
        int rc = seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), number, 0);
        // A call that exists on no architecture of the filter (vm86 on x86-64 alone) is fine.
        if (rc < 0 && rc != -EDOM && rc != -EINVAL) check_seccomp(fmt::format("deny {}", name), rc);
    }
    // clone may make threads and processes, but no namespace (runc's rule; one rule per flag,
    // as a rule compares (flags & mask) == value). clone3 passes its
    // flags in memory, which seccomp cannot read: like runc, answer ENOSYS so that libc falls
    // back to clone, where the rule above applies.
    for (uint64_t flag = 1; flag != 0; flag <<= 1) {
        if (!(kNamespaceFlags & flag)) continue;
        check_seccomp("deny clone with CLONE_NEW*",
                      seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                       SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)));
    }
    check_seccomp("clone3", seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0));
    check_seccomp("load", seccomp_load(filter.get()));
}

}  // namespace glassvm::container
