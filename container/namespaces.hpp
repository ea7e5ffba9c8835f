// Namespaces: the kernel's "separate view" switches. One clone(2) gives the box its own PID
// numbers, mount table, hostname, System V IPC, network stack (and user ids with --user); the
// cgroup namespace is entered later, once the box sits in its cgroup, so that cgroup becomes
// the box's "/".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/container_config.hpp"

namespace glassvm::container {

// CLONE_NEWPID for "pid", … (OCI's linux.namespaces[].type spelling), or nullopt.
std::optional<int> namespace_flag(std::string_view oci_type);
// "pid net mnt …": the flags set in `flags`, for messages.
std::string describe_namespaces(int flags);

// fork(), but the child starts in new namespaces (`flags` are CLONE_NEW*, without
// CLONE_NEWCGROUP). Returns the child's pid in the parent and 0 in the child, like fork.
pid_t clone_into_namespaces(int flags);

// The id maps of a child created with CLONE_NEWUSER. Empty lists map root inside to the
// caller's own uid/gid (rootless). Writes "deny" to setgroups first when the caller is not
// root (the kernel requires it for an unprivileged gid_map).
void write_id_maps(pid_t child, const std::vector<IdMapping>& uid_mappings, const std::vector<IdMapping>& gid_mappings);

// unshare(CLONE_NEWCGROUP): the current cgroup becomes this process's cgroup root.
void enter_cgroup_namespace();

// unshare(CLONE_NEWNS) for glassvm itself, with the host's mounts made slaves of ours (events
// flow in, never out): what glassvm mounts for a box afterwards (the overlay of `box run
// --image`) is never in the host's mount table, and goes away with the last process in this
// namespace, glassvm and its box, even when glassvm is killed with SIGKILL. glassvm must be
// single-threaded here (unshare of a mount namespace is refused to a threaded process).
void enter_private_mount_namespace();

}  // namespace glassvm::container
