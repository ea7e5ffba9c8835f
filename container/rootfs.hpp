// The box's root filesystem: the directory the user gave becomes "/" for the box, and the
// host's "/" is detached so no path leads back to it. The sequence runc uses:
//   1. mount --make-rprivate /      our mounts stay in our mount namespace
//   2. mount --rbind ROOTFS ROOTFS  pivot_root needs the new root to be a mount point
//   3. pivot_root . .               ROOTFS becomes "/", the old root is stacked on top of it
//   4. umount -l <old root>         the host's tree is detached: unreachable from the box
#pragma once

#include <filesystem>

namespace glassvm::container {

// Step 1.
void make_mounts_private();
// Step 2. The rootfs must be a directory (checked earlier, with a clearer message).
void bind_rootfs(const std::filesystem::path& rootfs);
// Steps 3 and 4; the working directory is "/" afterwards.
void pivot_into(const std::filesystem::path& rootfs);
// For read-only roots (OCI root.readonly): remount "/" read-only after the pivot.
void remount_root_readonly();

}  // namespace glassvm::container
