// Mounts inside the box's root: the list a box asks for (/proc, a tmpfs /dev, read-only /sys,
// …; `runc spec`'s list by default), the six device nodes bound from the host, and the
// masked and read-only kernel files. All done before pivot_root, while the host's /dev is
// still reachable; all inside the box's own mount namespace, so nothing shows on the host.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "container/container_config.hpp"

namespace glassvm::container {

// mount(2) flags and data from OCI/fstab-style options ("nosuid", "ro", "mode=755", …).
struct MountOptions {
    unsigned long flags = 0;        // MS_* to set
    unsigned long propagation = 0;  // MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE (| MS_REC)
    std::string data;               // what mount(2) passes to the filesystem: "mode=755,size=65536k"
    bool bind() const;
};
MountOptions parse_mount_options(const std::vector<std::string>& options);

// `destination` (absolute, no "..") under `root`, with the missing directories created. A
// symlink on the way is refused, so a rootfs cannot point a mount at the host.
std::filesystem::path path_in_root(const std::filesystem::path& root, const std::string& destination);

struct MountContext {
    std::filesystem::path bundle;  // relative bind sources start here
    // For "cgroup" mounts: the box's own cgroup directories (name in the box, host path).
    std::vector<std::pair<std::string, std::filesystem::path>> cgroup_sources;
};

// Performs every mount of `mounts` under `root`, in order.
void mount_all(const std::filesystem::path& root, const std::vector<MountSpec>& mounts, const MountContext& context);

// /dev/null, zero, full, random, urandom, tty bound from the host (a user namespace may not
// mknod), and the usual symlinks: fd, stdin, stdout, stderr, ptmx.
void create_device_nodes(const std::filesystem::path& root);

// Hides each existing path: /dev/null over files, an empty read-only tmpfs over directories.
void mask_paths(const std::filesystem::path& root, const std::vector<std::string>& paths);
// Makes each existing path read-only (a read-only bind of itself).
void make_paths_readonly(const std::filesystem::path& root, const std::vector<std::string>& paths);

// Remounts the bind mount at `path` with `flags` added, keeping the flags it already has
// (a user namespace may not clear nosuid/nodev/… that the host set).
void remount_bind(const std::filesystem::path& path, unsigned long flags);

}  // namespace glassvm::container
