// The releaser: fork twice; the grandchild closes everything but the KVM fds and the "caller
// still holds the VM" pipe, waits for the pipe to reach EOF (the caller has dropped its
// references, so the grandchild holds the last ones), exits.
#include "run/background_release.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

// The grandchild's whole life: hold the VM until `held` reaches EOF, then let it go.
[[noreturn]] void hold_until_released(std::span<const int> keep, int held) {
    close_all_except(keep);  // also closes this process's copy of the write end
    char byte;
    for (;;) {  // nobody writes: read ends with EOF when the caller's write end is closed
        ssize_t got = ::read(held, &byte, 1);
        if (got == -1 && errno == EINTR) continue;
        break;
    }
    ::_exit(0);  // the kernel closes the KVM fds now, and tears the VM down here
}

}  // namespace

Fd release_vm_in_background(std::span<const int> kvm_fds) {
    int pipe_ends[2];
    if (::pipe2(pipe_ends, O_CLOEXEC) != 0) return {};
    Fd held(pipe_ends[0]), releases(pipe_ends[1]);
    std::vector<int> keep(kvm_fds.begin(), kvm_fds.end());
    keep.push_back(held.get());
    std::sort(keep.begin(), keep.end());
    pid_t child = ::fork();
    if (child == -1) return {};
    if (child == 0) {  // the middle process: start the releaser and leave it to be reparented
        pid_t grandchild = ::fork();
        if (grandchild == 0) hold_until_released(keep, held.get());
        ::_exit(grandchild == -1 ? 1 : 0);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) == -1 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};  // no releaser: release it ourselves
    return releases;  // `held` closes here: only the releaser reads the pipe
}

}  // namespace glassvm
