// Starting a shim detached from the daemon (see shim.hpp): fork, setsid, fork again so the
// shim is reparented away from the daemon, exec; the daemon waits on a pipe for its word.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "daemon/shim.hpp"

namespace glassvm::daemon {

namespace {

constexpr int kShimStartTimeoutMs = 10'000;

constexpr int kReadyFd = 3;  // the shim finds the pipe here (--ready-fd 3)

// Runs in the forked child of a multithreaded daemon: async-signal-safe calls only until exec.
// The daemon's other descriptors (its socket, clients' connections) are closed: the shim and
// the instance must not hold them.
[[noreturn]] void become_shim(const char* program, const char* directory, int write_end) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);  // the middle process ends; init (or a subreaper) adopts the shim
    if (write_end == kReadyFd)
        ::fcntl(kReadyFd, F_SETFD, 0);
    else
        ::dup2(write_end, kReadyFd);  // dup2 clears FD_CLOEXEC on the copy
    ::close_range(kReadyFd + 1, ~0u, 0);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);  // only its copy on stdin outlives the exec
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* argv[] = {program, "shim", "--dir", directory, "--ready-fd", "3", nullptr};
    ::execv(program, const_cast<char* const*>(argv));
    ::_exit(127);
}

}  // namespace

void launch_shim(const std::filesystem::path& program, const std::filesystem::path& directory) {
    int pipe_fds[2];
    check_syscall("pipe2", ::pipe2(pipe_fds, O_CLOEXEC));
    Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    pid_t middle = check_syscall("fork", ::fork());
    if (middle == 0) become_shim(program.c_str(), directory.c_str(), write_end.get());
    write_end.reset();
    ::waitpid(middle, nullptr, 0);
    pollfd waiting{read_end.get(), POLLIN, 0};
    int ready = check_syscall("poll", ::poll(&waiting, 1, kShimStartTimeoutMs));
    char byte = 0;
    if (ready == 0 || ::read(read_end.get(), &byte, 1) != 1)
        throw Error(ErrorKind::Internal,
                    "the shim for " + directory.filename().string() + " did not start (its log file says why)");
}

}  // namespace glassvm::daemon
