// The releasing child: close everything but the KVM fds and the "parent alive" pipe, wait for the
// pipe to reach EOF (the parent is gone, so the child holds the last references), exit.
#include "run/background_release.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

namespace glassvm {

namespace {

// Closes every descriptor except those in `keep` (sorted): close_range(2) over the gaps. Runs in
// the forked child, so it allocates nothing (another thread may have held the heap's lock).
void close_all_except(std::span<const int> keep) {
    unsigned first = 0;
    for (int fd : keep) {
        if (static_cast<unsigned>(fd) > first) ::syscall(SYS_close_range, first, fd - 1, 0);
        first = fd + 1;
    }
    ::syscall(SYS_close_range, first, UINT_MAX, 0);
}

}  // namespace

void release_vm_in_background(std::span<const int> kvm_fds) {
    int alive[2];
    if (::pipe2(alive, O_CLOEXEC) != 0) return;
    std::vector<int> keep(kvm_fds.begin(), kvm_fds.end());
    keep.push_back(alive[0]);
    std::sort(keep.begin(), keep.end());
    pid_t child = ::fork();
    if (child != 0) {  // the parent (or fork failed): keep the write end open until we exit
        ::close(alive[0]);
        return;
    }
    close_all_except(keep);  // also closes the child's copy of the write end
    char byte;
    for (;;) {  // nobody writes: read ends with EOF when the parent's write end is gone
        ssize_t got = ::read(alive[0], &byte, 1);
        if (got == -1 && errno == EINTR) continue;
        break;
    }
    ::_exit(0);  // the kernel closes the KVM fds now, and tears the VM down here
}

}  // namespace glassvm
