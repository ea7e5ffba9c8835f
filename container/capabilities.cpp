// Capabilities: the name table, the default set, and dropping the rest with prctl/capset.
#include "container/capabilities.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <fstream>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::container {

namespace {

// <linux/capability.h>, in number order.
constexpr std::array<std::string_view, 41> kNames = {"CAP_CHOWN",
                                                     "CAP_DAC_OVERRIDE",
                                                     "CAP_DAC_READ_SEARCH",
                                                     "CAP_FOWNER",
                                                     "CAP_FSETID",
                                                     "CAP_KILL",
                                                     "CAP_SETGID",
                                                     "CAP_SETUID",
                                                     "CAP_SETPCAP",
                                                     "CAP_LINUX_IMMUTABLE",
                                                     "CAP_NET_BIND_SERVICE",
                                                     "CAP_NET_BROADCAST",
                                                     "CAP_NET_ADMIN",
                                                     "CAP_NET_RAW",
                                                     "CAP_IPC_LOCK",
                                                     "CAP_IPC_OWNER",
                                                     "CAP_SYS_MODULE",
                                                     "CAP_SYS_RAWIO",
                                                     "CAP_SYS_CHROOT",
                                                     "CAP_SYS_PTRACE",
                                                     "CAP_SYS_PACCT",
                                                     "CAP_SYS_ADMIN",
                                                     "CAP_SYS_BOOT",
                                                     "CAP_SYS_NICE",
                                                     "CAP_SYS_RESOURCE",
                                                     "CAP_SYS_TIME",
                                                     "CAP_SYS_TTY_CONFIG",
                                                     "CAP_MKNOD",
                                                     "CAP_LEASE",
                                                     "CAP_AUDIT_WRITE",
                                                     "CAP_AUDIT_CONTROL",
                                                     "CAP_SETFCAP",
                                                     "CAP_MAC_OVERRIDE",
                                                     "CAP_MAC_ADMIN",
                                                     "CAP_SYSLOG",
                                                     "CAP_WAKE_ALARM",
                                                     "CAP_BLOCK_SUSPEND",
                                                     "CAP_AUDIT_READ",
                                                     "CAP_PERFMON",
                                                     "CAP_BPF",
                                                     "CAP_CHECKPOINT_RESTORE"};

constexpr uint64_t bit(int capability) { return uint64_t{1} << capability; }

// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability() {
    std::ifstream file("/proc/sys/kernel/cap_last_cap");
    int last = CAP_LAST_CAP;
    file >> last;
    return last;
}

}  // namespace

std::optional<int> capability_number(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<int>(i);
    return std::nullopt;
}

std::string capability_name(int number) {
    if (number >= 0 && static_cast<size_t>(number) < kNames.size()) return std::string(kNames[number]);
    return fmt::format("CAP_{}", number);
}

uint64_t default_capability_mask() {
    // Docker's set without CAP_MKNOD (issue 16): the device policy (device_policy.hpp) already
    // refuses mknod of any node but the allowed few, and without the capability a box that
    // ends up with no device policy at all (no devices cgroup it could use) still cannot make
    // a host disk's node in its rootfs, which is not nodev. overlayfs whiteouts (rm of a lower
    // file in a RUN step) are made with the mounter's credentials, so builds do not need it.
    return bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_FSETID) | bit(CAP_FOWNER) | bit(CAP_NET_RAW) |
           bit(CAP_SETGID) | bit(CAP_SETUID) | bit(CAP_SETFCAP) | bit(CAP_SETPCAP) | bit(CAP_NET_BIND_SERVICE) |
           bit(CAP_SYS_CHROOT) | bit(CAP_KILL) | bit(CAP_AUDIT_WRITE);
}

CapabilitySets default_capability_sets() {
    uint64_t mask = default_capability_mask();
    // No ambient or inheritable capabilities: a non-root program started later gets none.
    return {.bounding = mask, .effective = mask, .permitted = mask, .inheritable = 0, .ambient = 0};
}

void switch_user(uint32_t uid, uint32_t gid, const std::vector<uint32_t>& additional_gids) {
    check_syscall("prctl PR_SET_KEEPCAPS", ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    std::vector<gid_t> groups(additional_gids.begin(), additional_gids.end());
    // setgroups is refused in a user namespace whose /proc/PID/setgroups says "deny"; with no
    // supplementary groups asked for there is nothing to set then.
    if (::setgroups(groups.size(), groups.data()) != 0 && !(errno == EPERM && groups.empty()))
        throw Error::from_errno("setgroups", errno);
    check_syscall(fmt::format("setgid {}", gid), ::setresgid(gid, gid, gid));
    check_syscall(fmt::format("setuid {}", uid), ::setresuid(uid, uid, uid));
}

void apply_capabilities(const CapabilitySets& sets) {
    int last = last_capability();
    for (int capability = 0; capability <= last; ++capability) {
        if (sets.bounding & bit(capability)) continue;
        if (::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 && errno != EINVAL)
            throw Error::from_errno(fmt::format("prctl PR_CAPBSET_DROP {}", capability_name(capability)), errno);
    }

    __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    __user_cap_data_struct data[2] = {};
    for (int word = 0; word < 2; ++word) {
        data[word].effective = static_cast<uint32_t>(sets.effective >> (32 * word));
        data[word].permitted = static_cast<uint32_t>(sets.permitted >> (32 * word));
        data[word].inheritable = static_cast<uint32_t>(sets.inheritable >> (32 * word));
    }
    check_syscall("capset", static_cast<int>(::syscall(SYS_capset, &header, data)));

    check_syscall("prctl PR_CAP_AMBIENT_CLEAR_ALL", ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    // The kernel raises an ambient capability only if it is permitted and inheritable; like
    // runc, skip the others (runc's own `runc spec` lists ambient ones that are not inheritable).
    uint64_t raisable = sets.ambient & sets.permitted & sets.inheritable;
    for (int capability = 0; capability <= last; ++capability) {
        if (!(raisable & bit(capability))) continue;
        check_syscall(fmt::format("prctl PR_CAP_AMBIENT_RAISE {}", capability_name(capability)),
                      ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, capability, 0, 0));
    }
}

}  // namespace glassvm::container
