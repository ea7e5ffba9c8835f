// run_program: fork, exec, read both pipes with poll(), wait (see subprocess.hpp).
#include "daemon/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace glassvm::daemon {

namespace {

[[noreturn]] void exec_child(char* const* argv, int out, int err) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::close_range(3, ~0u, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv);
    ::_exit(127);
}

void read_until_closed(Fd& out, Fd& err, ProgramResult& result) {
    pollfd fds[2] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open = 2;
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw Error::from_errno("poll", errno);
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buffer[8192];
            ssize_t count = ::read(fds[i].fd, buffer, sizeof buffer);
            if (count > 0) {
                sinks[i]->append(buffer, static_cast<size_t>(count));
            } else if (count == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open;
            }
        }
    }
}

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv) {
    std::vector<char*> pointers;
    for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
    pointers.push_back(nullptr);
    int out_pipe[2], err_pipe[2];
    check_syscall("pipe2", ::pipe2(out_pipe, O_CLOEXEC));
    Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
    check_syscall("pipe2", ::pipe2(err_pipe, O_CLOEXEC));
    Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
    pid_t child = check_syscall("fork", ::fork());
    if (child == 0) exec_child(pointers.data(), out_write.get(), err_write.get());
    out_write.reset();
    err_write.reset();
    ProgramResult result;
    read_until_closed(out_read, err_read, result);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace glassvm::daemon
