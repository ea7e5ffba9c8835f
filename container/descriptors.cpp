// Closing the descriptors a box would otherwise inherit (descriptors.hpp).
#include "container/descriptors.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "base/error.hpp"

namespace glassvm::container {

namespace {

constexpr int kFirst = 3;  // stdin, stdout and stderr are the workload's own

// For kernels without close_range (or its CLOEXEC flag): apply `action` to every open
// descriptor from 3 up but `keep`, listed from /proc/self/fd (read fully before acting, since
// closing changes the directory being read).
template <typename Action>
void for_each_open_descriptor(const std::vector<int>& keep, Action action) {
    DIR* directory = ::opendir("/proc/self/fd");
    if (!directory) throw Error::from_errno("opendir /proc/self/fd", errno);
    std::vector<int> open;
    while (dirent* entry = ::readdir(directory)) {
        char* end = nullptr;
        long fd = std::strtol(entry->d_name, &end, 10);
        if (*end == '\0' && end != entry->d_name && fd >= kFirst && fd != ::dirfd(directory))
            open.push_back(static_cast<int>(fd));
    }
    ::closedir(directory);
    for (int fd : open)
        if (std::find(keep.begin(), keep.end(), fd) == keep.end()) action(fd);
}

bool close_range_missing(int error) { return error == ENOSYS || error == EINVAL; }

}  // namespace

void close_descriptors_except(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned first = kFirst;
    keep.push_back(INT_MAX);  // the last gap runs to the end of the table (close_range takes ~0U)
    for (int kept : keep) {
        if (kept < kFirst) continue;
        if (static_cast<unsigned>(kept) > first) {
            unsigned last = kept == INT_MAX ? ~0U : static_cast<unsigned>(kept) - 1;
            if (::close_range(first, last, 0) != 0) {
                if (!close_range_missing(errno)) throw Error::from_errno("close_range", errno);
                for_each_open_descriptor(keep, [](int fd) { ::close(fd); });
                return;
            }
        }
        first = static_cast<unsigned>(kept) + 1;
    }
}

void close_descriptors_on_exec() {
    if (::close_range(kFirst, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    if (!close_range_missing(errno)) throw Error::from_errno("close_range CLOSE_RANGE_CLOEXEC", errno);
    for_each_open_descriptor({}, [](int fd) {
        int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    });
}

}  // namespace glassvm::container
