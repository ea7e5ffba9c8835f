// The rootfs: private propagation, the self-bind, pivot_root and detaching the old root; the
// working directory inside it.
#include "container/rootfs.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "container/mounts.hpp"

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

void enter_working_directory(const std::string& cwd) {
    std::string where = fmt::format("working directory {}", cwd);
    Fd root(check_syscall("open /", ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)));
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root.get(), cwd.c_str(), &how, sizeof how);
    if (fd < 0 && errno == ELOOP)
        throw Error(
            ErrorKind::BadInput,
            fmt::format("{}: a /proc magic link (like /proc/self/fd/N) or too many symlinks; glassvm resolves the "
                        "working directory inside the box and does not follow those",
                        where),
            ELOOP);
    if (fd < 0 && errno != ENOSYS) throw Error::from_errno(where, errno);
    if (fd >= 0) {
        Fd directory(static_cast<int>(fd));
        check_syscall(where, ::fchdir(directory.get()));
    } else {
        check_syscall(where, ::chdir(cwd.c_str()));  // before Linux 5.6: the check below still holds
    }
    // A directory outside the root (reached through a descriptor opened before the pivot, say)
    // has no path from "/": getcwd says "(unreachable)…" or fails with ENOENT.
    char path[PATH_MAX];
    if (::getcwd(path, sizeof path) == nullptr || path[0] != '/')
        throw Error(ErrorKind::BadInput, fmt::format("{}: it is outside the box's root filesystem", where), EPERM);
}

}  // namespace glassvm::container
