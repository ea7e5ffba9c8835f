// What a box is: the description every step of container/box.cpp reads. `glassvm box run`
// fills it from its options (default_container_config), an OCI bundle from config.json
// (oci_bundle.cpp). Nothing here touches the system.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glassvm::container {

// One entry of the mount list, as OCI's config.json spells it ("mounts": [...]).
struct MountSpec {
    std::string destination;  // absolute path inside the box
    std::string type;         // "proc", "tmpfs", "sysfs", "bind", "cgroup", …
    std::string source;       // for binds: a host path (relative ones are to the bundle)
    std::vector<std::string> options;
};

// A user-namespace id mapping line: ids [container_id, container_id + size) inside are
// [host_id, host_id + size) outside.
struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 1;
};

// Capability sets as bit masks (bit N = capability N, see <linux/capability.h>).
struct CapabilitySets {
    uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

struct Rlimit {
    int resource = 0;  // RLIMIT_NOFILE, …
    uint64_t soft = 0, hard = 0;
};

// CFS bandwidth: `quota_us` of CPU time per `period_us` of wall time (0.5 CPU = 50000/100000).
struct CpuQuota {
    uint64_t quota_us = 0;
    uint64_t period_us = 100'000;
};

struct ResourceLimits {
    std::optional<uint64_t> memory_bytes;
    std::optional<uint64_t> pids;
    std::optional<CpuQuota> cpu;
    bool restrict_devices = true;  // device cgroup: only the nodes in /dev (v1 hosts)
};

struct ContainerConfig {
    // The root filesystem and the program.
    std::filesystem::path rootfs;
    std::filesystem::path bundle;  // where relative bind sources are resolved (empty: cwd)
    bool readonly_root = false;
    std::vector<std::string> args;  // args[0] is looked up in the box's PATH
    std::vector<std::string> env;   // KEY=VALUE
    std::string cwd = "/";
    uint32_t uid = 0, gid = 0;
    std::vector<uint32_t> additional_gids;
    std::optional<uint32_t> umask;

    // Isolation.
    int namespaces = 0;                                 // CLONE_NEW* flags
    std::vector<IdMapping> uid_mappings, gid_mappings;  // empty with CLONE_NEWUSER: root → caller
    std::string hostname;                               // empty: keep the (new, copied) UTS namespace's name
    std::vector<MountSpec> mounts;
    std::vector<std::string> masked_paths, readonly_paths;
    CapabilitySets capabilities;
    bool no_new_privileges = true;
    std::vector<Rlimit> rlimits;
    ResourceLimits resources;
};

// The CLONE_NEW* flags `glassvm box run` uses: pid, mount, uts, ipc, network and cgroup.
int default_namespaces();

// What `glassvm box run --rootfs DIR -- ARGS` runs: the namespaces above, runc's default
// mounts, masked and read-only paths, Docker's and containerd's default capability set, a
// read-write root, hostname "glassvm-box", and the usual PATH/HOME/TERM.
ContainerConfig default_container_config();

}  // namespace glassvm::container
