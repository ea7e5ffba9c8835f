// spawn(): fork, exec, read stdout and stderr with poll(), wait4 for the rusage.
#include "cli/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace glassvm {

Sample spawn(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, const std::string& input) {
    int in[2], out[2], err[2];
    check_syscall("pipe2", ::pipe2(in, O_CLOEXEC));
    check_syscall("pipe2", ::pipe2(out, O_CLOEXEC));
    check_syscall("pipe2", ::pipe2(err, O_CLOEXEC));
    auto start = std::chrono::steady_clock::now();
    pid_t pid = check_syscall("fork", ::fork());
    if (pid == 0) {
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        std::vector<char*> args;
        for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    // Small inputs (commands for the stepper, a line for the UART) fit in the pipe at once.
    if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
    ::close(in[1]);
    Sample sample;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    std::string* sinks[2] = {&sample.out, &sample.err};
    for (int open = 2; open > 0;) {
        auto left = timeout - (std::chrono::steady_clock::now() - start);
        if (left <= std::chrono::steady_clock::duration::zero()) {
            ::kill(pid, SIGKILL);
            sample.timed_out = true;
            break;
        }
        if (::poll(fds, 2, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count()) + 1) < 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buffer[4096];
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<size_t>(n));
                continue;
            }
            ::close(fds[i].fd);
            fds[i].fd = -1;
            --open;
        }
    }
    for (pollfd& fd : fds)
        if (fd.fd >= 0) ::close(fd.fd);
    int status = 0;
    rusage usage{};
    while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {}
    sample.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    sample.peak_rss_kib = usage.ru_maxrss;
    sample.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return sample;
}


bool installed(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::istringstream directories(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    for (std::string directory; std::getline(directories, directory, ':');)
        if (::access((std::filesystem::path(directory) / program).c_str(), X_OK) == 0) return true;
    return false;
}

}  // namespace glassvm
