// Which device nodes a box may create (mknod) and open: OCI's default allow-list, the one runc
// and Docker give a container — /dev/null, zero, full, random, urandom, tty, console, ptmx and
// the pseudo-terminals (/dev/pts/*) — and nothing else. Stricter than runc in one way: runc also
// lets a container mknod any node ("c *:* m", "b *:* m") and relies on open being denied;
// glassvm denies the mknod too, so no host disk or /dev/mem node can even be made. (overlayfs
// whiteouts, character device 0:0, are exempt by the kernel itself.)
//
// The kernel enforces the list in one of two ways, whichever cgroup version holds devices:
//   cgroup v1: the devices controller's files, "devices.deny a" then one "devices.allow" per rule
//   cgroup v2: there is no devices controller; a BPF_PROG_TYPE_CGROUP_DEVICE program attached to
//              the box's cgroup decides each mknod and open (Documentation/admin-guide/cgroup-v2.rst
//              "Device controller"), as runc does on v2. glassvm assembles that program itself
//              from the same list: a few instructions per rule, no compiler, no libbpf.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glassvm::container {

struct DeviceRule {
    char type = 'c';                // 'c' character, 'b' block
    std::optional<uint32_t> major;  // nullopt: any ("*")
    std::optional<uint32_t> minor;
    std::string access = "rwm";  // r read, w write, m mknod
};

// The allow-list above.
const std::vector<DeviceRule>& allowed_devices();

// "c 1:3 rwm", "c 136:* rwm": a v1 devices.allow line.
std::string device_rule_text(const DeviceRule& rule);

// The BPF program that returns 1 (allow) for an access matching a rule and 0 otherwise. Its
// context is struct bpf_cgroup_dev_ctx: access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*,
// major, minor.
std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads that program (bpf(2) BPF_PROG_LOAD) and attaches it to the cgroup v2 directory
// (BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI so that a policy its ancestors have
// still applies too). The cgroup keeps it until the cgroup is removed. Needs CAP_SYS_ADMIN
// (or CAP_BPF with CAP_NET_ADMIN); throws Error naming the step, with the verifier's log
// when the kernel refuses the program.
void attach_device_filter(const std::filesystem::path& cgroup, const std::vector<DeviceRule>& rules);

}  // namespace glassvm::container
