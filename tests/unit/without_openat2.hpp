// A child process that sees the kernel without openat2(2), as on Linux before 5.6: a seccomp
// filter answers the system call with ENOSYS, so glassvm's fallback path (image/path_beneath.cpp)
// runs. The filter stays across execve, so programs the body starts run without it too.
// Shared by the unit and integration tests (header only; Catch's REQUIRE only in the parent).
#pragma once

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#include "base/fd.hpp"

namespace glassvm::test {

// Runs `body` in a child where openat2 fails with ENOSYS; what it returns ("" when all is
// well) comes back through a pipe.
inline std::string without_openat2(const std::function<std::string()>& body) {
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    glassvm::Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        struct sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog program = {static_cast<unsigned short>(std::size(filter)), filter};
        std::string outcome;
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
            outcome = "cannot install the seccomp filter";
        } else {
            try {
                outcome = body();
            } catch (const std::exception& error) {
                outcome = std::string("exception: ") + error.what();
            }
        }
        if (::write(write_end.get(), outcome.data(), outcome.size()) < 0) ::_exit(2);
        ::_exit(0);
    }
    write_end.reset();
    std::string outcome;
    char buffer[512];
    for (ssize_t count; (count = ::read(read_end.get(), buffer, sizeof buffer)) > 0;)
        outcome.append(buffer, static_cast<size_t>(count));
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    return outcome;
}

}  // namespace glassvm::test
