// The box's root filesystem: the directory the user gave becomes "/" for the box, and the
// host's "/" is detached so no path leads back to it. The sequence runc uses:
//   1. mount --make-rprivate /      our mounts stay in our mount namespace
//   2. mount --rbind ROOTFS ROOTFS  pivot_root needs the new root to be a mount point
//   3. pivot_root . .               ROOTFS becomes "/", the old root is stacked on top of it
//   4. umount -l <old root>         the host's tree is detached: unreachable from the box
// and, in the workload, the working directory, resolved inside that new root.
#pragma once

#include <filesystem>
#include <string>

namespace glassvm::container {

// Step 1.
void make_mounts_private();
// Step 2. The rootfs must be a directory (checked earlier, with a clearer message).
void bind_rootfs(const std::filesystem::path& rootfs);
// Steps 3 and 4; the working directory is "/" afterwards.
void pivot_into(const std::filesystem::path& rootfs);
// For read-only roots (OCI root.readonly): remount "/" read-only after the pivot.
void remount_root_readonly();

// After the pivot: makes `cwd` (--workdir, an image's WORKDIR, OCI process.cwd; absolute) the
// working directory, resolved inside the box's root (openat2 RESOLVE_IN_ROOT: "..", absolute
// symlinks and /proc magic links cannot leave it; /proc/self/fd/N and /proc/PID/cwd are
// refused outright), then checks that the kernel sees it below the root (getcwd has no
// "(unreachable)"), as runc checks process.cwd since CVE-2024-21626.
void enter_working_directory(const std::string& cwd);

}  // namespace glassvm::container
