// run_program: fork, exec, feed stdin, read stdout and stderr with poll() until both close (or
// the deadline), wait4 for the status and rusage. find_program, own_executable.
#include "base/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"

namespace glassvm {

namespace {

struct Pipe {
    Fd read, write;
};

Pipe make_pipe() {
    int ends[2];
    check_syscall("pipe2", ::pipe2(ends, O_CLOEXEC));
    return {Fd(ends[0]), Fd(ends[1])};
}

// After fork: only async-signal-safe calls until execv.
[[noreturn]] void exec_child(const char* path, char* const* argv, int in, int out, int err) {
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::close_range(3, ~0u, 0);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(path, argv);
    ::_exit(127);
}

// Reads both pipes until they close; false when the deadline passed first.
bool read_until_closed(Fd& out, Fd& err, ProgramResult& result,
                       std::optional<std::chrono::steady_clock::time_point> deadline) {
    pollfd fds[2] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    for (int open = 2; open > 0;) {
        int wait_ms = -1;
        if (deadline) {
            auto left = *deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::steady_clock::duration::zero()) return false;
            wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count()) + 1;
        }
        if (::poll(fds, 2, wait_ms) < 0) {
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
    return true;
}

// The program's stdin: a memory file holding `input`, read from its start. A file rather than a
// pipe, so a program that exits without reading cannot raise SIGPIPE in the caller, and an input
// of any size cannot block.
Fd input_file(const std::string& input) {
    Fd file(check_syscall("memfd_create", ::memfd_create("stdin", MFD_CLOEXEC)));
    write_all(file.get(), std::span(reinterpret_cast<const uint8_t*>(input.data()), input.size()), "write stdin");
    check_syscall("lseek", ::lseek(file.get(), 0, SEEK_SET));
    return file;
}

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::string& input) {
    if (argv.empty()) throw Error(ErrorKind::Internal, "run_program: no program given");
    // A program that is not found still forks, so that it ends as a shell's would: status 127.
    std::string path = find_program(argv[0]).value_or(argv[0]).string();
    std::vector<char*> pointers;
    for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
    pointers.push_back(nullptr);
    Fd in = input_file(input);
    Pipe out = make_pipe(), err = make_pipe();
    auto start = std::chrono::steady_clock::now();
    pid_t child = check_syscall("fork", ::fork());
    if (child == 0) exec_child(path.c_str(), pointers.data(), in.get(), out.write.get(), err.write.get());
    in.reset();
    out.write.reset();
    err.write.reset();
    ProgramResult result;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (timeout.count() > 0) deadline = start + timeout;
    if (!read_until_closed(out.read, err.read, result, deadline)) {
        ::kill(child, SIGKILL);
        result.timed_out = true;
    }
    int status = 0;
    rusage usage{};
    while (::wait4(child, &status, 0, &usage) < 0 && errno == EINTR) {}
    result.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    result.peak_rss_kib = usage.ru_maxrss;
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::optional<std::filesystem::path> find_program(const std::string& program) {
    if (program.find('/') != std::string::npos) {
        if (::access(program.c_str(), X_OK) == 0) return std::filesystem::path(program);
        return std::nullopt;
    }
    const char* path = std::getenv("PATH");
    std::istringstream directories(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    for (std::string directory; std::getline(directories, directory, ':');) {
        std::filesystem::path candidate = std::filesystem::path(directory.empty() ? "." : directory) / program;
        if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    }
    return std::nullopt;
}

std::filesystem::path own_executable() {
    if (const auto* given = reinterpret_cast<const char*>(::getauxval(AT_EXECFN))) {
        char resolved[PATH_MAX];
        if (::realpath(given, resolved)) return resolved;
    }
    std::error_code error;
    std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) throw Error::from_errno("readlink /proc/self/exe", error.value());
    return path;
}

}  // namespace glassvm
