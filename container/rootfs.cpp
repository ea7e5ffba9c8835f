// The rootfs: private propagation, the self-bind, pivot_root and detaching the old root.
#include "container/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "container/mounts.hpp"
#include "core/error.hpp"
#include "core/fd.hpp"

namespace glassvm::container {

void make_mounts_private() {
    check_syscall("mount --make-rprivate /", ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
}

void bind_rootfs(const std::filesystem::path& rootfs) {
    check_syscall(fmt::format("mount --rbind {} {}", rootfs.string(), rootfs.string()),
                  ::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr));
}

void pivot_into(const std::filesystem::path& rootfs) {
    Fd old_root(check_syscall("open /", ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC)));
    Fd new_root(check_syscall(fmt::format("open {}", rootfs.string()),
                              ::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC)));
    check_syscall(fmt::format("chdir {}", rootfs.string()), ::fchdir(new_root.get()));
    // pivot_root(".", "."): no directory for the old root is needed inside the rootfs; the
    // old root ends up mounted over the new one, where the umount below finds it.
    check_syscall(fmt::format("pivot_root {}", rootfs.string()), static_cast<int>(::syscall(SYS_pivot_root, ".", ".")));
    check_syscall("fchdir old root", ::fchdir(old_root.get()));
    // Keep the detach from propagating anywhere (the tree is private already; belt and braces).
    check_syscall("mount --make-rslave old root", ::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr));
    check_syscall("umount -l old root", ::umount2(".", MNT_DETACH));
    check_syscall("chdir /", ::chdir("/"));
}

void remount_root_readonly() { remount_bind("/", MS_RDONLY); }

}  // namespace glassvm::container
