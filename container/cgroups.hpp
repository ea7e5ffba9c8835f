// Cgroups: the kernel's resource accounting and limits. The box gets its own cgroup,
// "glassvm-box-<glassvm's pid>", below glassvm's own, with the limits written into its files:
//   cgroup v2 (one unified tree):  memory.max, memory.swap.max, pids.max, cpu.max
//   cgroup v1 (a tree per controller, as on hybrid hosts whose v2 tree has no controllers):
//     memory.limit_in_bytes, memory.memsw.limit_in_bytes, pids.max,
//     cpu.cfs_period_us + cpu.cfs_quota_us, devices.deny + devices.allow
// plus the device allow-list (device_policy.hpp): v1's devices files, or on v2 a BPF program
// attached to the box's cgroup (so on v2 a box always gets a cgroup, limits or not). Which
// one a controller uses is decided at run time from /proc/self/mountinfo and /proc/self/cgroup.
// The cgroup is removed when the box ends; one left behind by a glassvm killed with SIGKILL is
// removed by the next `glassvm box run` (remove_stale_box_cgroups).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "container/container_config.hpp"

namespace glassvm::container {

enum class CgroupVersion {
    V1,
    V2
};

// A cgroup filesystem mounted on this host (one line of /proc/self/mountinfo).
struct CgroupMount {
    CgroupVersion version = CgroupVersion::V1;
    std::filesystem::path mount_point;
    std::string root;                      // the cgroup this mount shows as its top ("/" usually)
    std::vector<std::string> controllers;  // v1: from the super options ("cpu", "cpuacct")
};
std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo);

// One line of /proc/self/cgroup: "4:memory:/a/b" (v1) or "0::/a/b" (v2: no controllers).
struct CgroupMembership {
    std::vector<std::string> controllers;
    std::string path;
};
std::vector<CgroupMembership> parse_proc_cgroup(std::string_view text);

// The directory of the cgroup `membership` names, when `mount` is that cgroup's tree (the same
// controllers on v1, the unified tree on v2) and shows it.
std::optional<std::filesystem::path> cgroup_directory(const CgroupMount& mount, const CgroupMembership& membership);

// The text of a cgroup (or /proc) file; "" when it cannot be read.
std::string read_cgroup_text(const std::filesystem::path& path);

// Writes `value` into one cgroup file (a limit, cgroup.procs, cgroup.kill). Throws Error naming
// the file and errno.
void write_cgroup_file(const std::filesystem::path& path, const std::string& value);

// One value to write into one file of a controller's directory.
struct CgroupFileWrite {
    std::string controller;  // "memory", "pids", "cpu", "devices"
    std::string file;
    std::string value;
    bool optional = false;  // skipped when the file does not exist (no swap accounting, …)
};
// The writes that put `limits` into effect with the given cgroup version, in order.
std::vector<CgroupFileWrite> limit_writes(const ResourceLimits& limits, CgroupVersion version);

// The value an OOM kill counter line carries ("oom_kill 3" in memory.events or
// memory.oom_control), 0 when absent.
uint64_t parse_oom_kills(std::string_view file_text);

// The box's cgroup: one directory on v2, one per controller tree on v1. Removed (if empty) on
// destruction. A default-constructed BoxCgroup has no directories (a rootless box whose user
// may not create cgroups, and that asked for no limit).
class BoxCgroup {
public:
    BoxCgroup() = default;
    // Creates the directories and writes `limits`; throws naming the file when that fails, or
    // when a limit needs a controller this host or user cannot provide.
    static BoxCgroup create(const std::string& name, const ResourceLimits& limits);

    BoxCgroup(BoxCgroup&& other) noexcept : m_directories(std::exchange(other.m_directories, {})) {}
    BoxCgroup& operator=(BoxCgroup&& other) noexcept;
    BoxCgroup(const BoxCgroup&) = delete;
    BoxCgroup& operator=(const BoxCgroup&) = delete;
    ~BoxCgroup() { remove(); }

    bool empty() const { return m_directories.empty(); }
    // Moves `pid` (and so everything it starts later) into the box's cgroup.
    void add_process(pid_t pid) const;
    // OOM kills the memory controller counted in this cgroup.
    uint64_t oom_kills() const;
    // Highest memory use the memory controller saw, when it keeps that number.
    std::optional<uint64_t> peak_memory_bytes() const;

    // (name to show it under in the box's /sys/fs/cgroup, host directory): for the "cgroup"
    // mount. v2: one entry named "".
    std::vector<std::pair<std::string, std::filesystem::path>> mount_sources() const;

    // Removes the directories, retrying while the kernel finishes tearing the box down.
    // Never throws; a directory that cannot be removed is reported on stderr.
    void remove() noexcept;

private:
    struct Directory {
        CgroupVersion version;
        std::string hierarchy;  // v1: the tree's mount name ("cpu,cpuacct"); v2: ""
        std::vector<std::string> controllers;
        std::filesystem::path path;
    };
    const Directory* directory_for(std::string_view controller) const;
    std::vector<Directory> m_directories;
};

// Removes "glassvm-box-<pid>" directories below `parent` whose glassvm is gone (left by a
// glassvm killed with SIGKILL). Best effort; never throws.
void remove_stale_box_cgroups(const std::filesystem::path& parent);

}  // namespace glassvm::container
