// The descriptors a box inherits. glassvm is started with whatever its caller had open (a
// shell's directory, a build's lock file, a daemon's pipes), and a process keeps every
// descriptor across fork and exec unless it is close-on-exec. A host directory descriptor that
// reaches the box is a way out of it: `chroot /proc/self/fd/N/../..` or a working directory of
// /proc/self/fd/N lands in the host's tree (the CVE-2024-21626 class, runc's leaked cgroup fd).
// So the box's first process closes everything but the pipes of the box protocol, and the
// workload marks everything from 3 up close-on-exec right before its execve, as runc does.
#pragma once

#include <vector>

namespace glassvm::container {

// Closes every descriptor from 3 up except those in `keep` (close_range(2), Linux 5.9; a
// /proc/self/fd walk on older kernels). Throws Error when that fails.
void close_descriptors_except(std::vector<int> keep);

// Marks every descriptor from 3 up close-on-exec (close_range's CLOSE_RANGE_CLOEXEC, Linux
// 5.11), so that they stay usable until execve succeeds (a failed exec can still report on its
// pipe) and none reaches the program it runs. Throws Error when that fails.
void close_descriptors_on_exec();

}  // namespace glassvm::container
