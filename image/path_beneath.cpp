// open_beneath (path_beneath.hpp): openat2 where the kernel has it, else an O_NOFOLLOW walk.
#include "image/path_beneath.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace glassvm::image {

namespace {

std::atomic<bool> g_kernel_lacks_openat2{false};

// glibc 2.36 (Debian 12) has no openat2() wrapper: the system call itself.
int openat2_call(int directory, const char* path, int flags, unsigned long long resolve) {
    struct open_how how {};
    how.flags = static_cast<unsigned long long>(flags) | O_CLOEXEC;
    how.resolve = resolve;
    for (int attempt = 0;; ++attempt) {
        int fd = static_cast<int>(::syscall(SYS_openat2, directory, path, &how, sizeof how));
        // EAGAIN: a rename or mount elsewhere raced the RESOLVE_IN_ROOT walk (openat2(2)); the
        // kernel asks for a retry.
        if (fd >= 0 || errno != EAGAIN || attempt == 16) return fd;
    }
}

// The same without openat2: each directory on the way opened with O_NOFOLLOW from the one
// before, so a symlink anywhere stops the walk (ELOOP or ENOTDIR) instead of being followed.
int open_walking(int directory, std::string_view relative, int flags) {
    std::string path(relative);
    Fd current;  // empty while the walk is still at `directory`
    size_t start = 0;
    for (;;) {
        size_t slash = path.find('/', start);
        std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        int from = current ? current.get() : directory;
        if (slash == std::string::npos) {
            if (part.empty()) part = ".";
            if (part == "..") return errno = EXDEV, -1;
            return ::openat(from, part.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
        }
        start = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") return errno = EXDEV, -1;
        int next = ::openat(from, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) return -1;
        current.reset(next);
    }
}

}  // namespace

int open_beneath(int directory, std::string_view relative, int flags, Symlinks symlinks) {
    if (relative.starts_with('/')) return errno = EXDEV, -1;
    std::string path = relative.empty() ? std::string(".") : std::string(relative);
    if (!g_kernel_lacks_openat2.load(std::memory_order_relaxed)) {
        unsigned long long resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        if (symlinks == Symlinks::Refuse) resolve |= RESOLVE_NO_SYMLINKS;
        int fd = openat2_call(directory, path.c_str(), flags, resolve);
        if (fd >= 0 || errno != ENOSYS) return fd;
        g_kernel_lacks_openat2.store(true, std::memory_order_relaxed);
    }
    return open_walking(directory, path, flags);
}

std::vector<std::string> directory_names(int directory, std::string_view what) {
    // fdopendir takes the descriptor it is given: a duplicate, so `directory` stays the caller's.
    int copy = check_syscall(fmt::format("dup {}", what), ::fcntl(directory, F_DUPFD_CLOEXEC, 0));
    std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(copy), &::closedir);
    if (!stream) {
        int error = errno;
        ::close(copy);
        throw Error::from_errno(fmt::format("opendir {}", what), error);
    }
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        const struct dirent* entry = ::readdir(stream.get());
        if (!entry) break;
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    if (errno != 0) throw Error::from_errno(fmt::format("readdir {}", what), errno);
    return names;
}

std::string read_link_at(int directory, const std::string& name, std::string_view what) {
    std::string target(256, '\0');
    for (;;) {
        ssize_t length = check_syscall(fmt::format("readlink {}", what),
                                       ::readlinkat(directory, name.c_str(), target.data(), target.size()));
        if (static_cast<size_t>(length) < target.size()) {
            target.resize(static_cast<size_t>(length));
            return target;
        }
        target.resize(target.size() * 2);  // possibly cut short: try again with more room
    }
}

}  // namespace glassvm::image
