// The sandbox's allowlists as data (what each role may and may not call), the user and group
// lookups, and — in a forked child, no KVM needed — a loaded allowlist at work: an allowed call
// runs, malloc's read-only openat gets EACCES, a forbidden call ends the child with status 125
// and a report naming the thread and the call.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <string>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "vmm/sandbox/forbidden_syscall_report.hpp"
#include "vmm/sandbox/precompiled_filters.hpp"
#include "vmm/sandbox/sandbox.hpp"
#include "vmm/sandbox/seccomp_policy.hpp"
#include "vmm/sandbox/user_lookup.hpp"

using namespace glassvm::sandbox;

namespace {

bool runs(ThreadRole role, std::string_view name) {
    auto calls = allowlist(role, ::getpid());
    return std::any_of(calls.begin(), calls.end(),
                       [&](const AllowedSyscall& call) { return call.name == name && call.answer == Answer::Run; });
}

struct ChildResult {
    int status = -1;
    std::string err;
};

// Runs `body` in a forked child confined as a vCPU thread; its stderr is captured.
template <typename Body>
ChildResult in_confined_child(Body body, ThreadRole role = ThreadRole::Vcpu) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        install_forbidden_syscall_report();
        set_thread_label("vcpu 7");
        install_allowlist(role, ::getpid());
        ::_exit(body());
    }
    ::close(pipe_fds[1]);
    ChildResult result;
    char buffer[512];
    for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) result.err.append(buffer, size_t(got));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace

TEST_CASE("sandbox policy: a vCPU thread may run KVM and write, but not open, exec, fork or make sockets",
          "[sandbox]") {
    for (const char* allowed : {"ioctl", "write", "futex", "exit", "exit_group", "rt_sigreturn"})
        CHECK(runs(ThreadRole::Vcpu, allowed));
    for (const char* forbidden : {"openat", "open", "execve", "clone", "clone3", "socket", "read", "ptrace", "mount"})
        CHECK_FALSE(runs(ThreadRole::Vcpu, forbidden));
    CHECK(allowlist(ThreadRole::Vcpu, ::getpid()).size() < 20);
}

TEST_CASE("sandbox policy: only the roles that need them may fork, start threads or talk to gdb", "[sandbox]") {
    CHECK(runs(ThreadRole::Main, "clone"));  // the teardown child, with fork's flags only
    CHECK_FALSE(runs(ThreadRole::Main, "clone3"));
    CHECK(runs(ThreadRole::DebuggedVcpu, "clone3"));
    CHECK(runs(ThreadRole::DebuggedVcpu, "accept4"));
    CHECK_FALSE(runs(ThreadRole::Vcpu, "accept4"));
    CHECK(runs(ThreadRole::StdinPump, "read"));
    CHECK_FALSE(runs(ThreadRole::StdinPump, "tgkill"));
    for (ThreadRole role : {ThreadRole::Main, ThreadRole::Vcpu, ThreadRole::DebuggedVcpu, ThreadRole::StdinPump}) {
        CHECK_FALSE(runs(role, "execve"));
        CHECK_FALSE(runs(role, "socket"));
        for (const AllowedSyscall& call : allowlist(role, 1)) CHECK_FALSE(call.reason.empty());
    }
}

TEST_CASE("sandbox policy: every thread may read clocks through the real system calls the vDSO falls back to",
          "[sandbox]") {
    // Where user space cannot read the clock source (HPET, ACPI PM, an unstable TSC), glibc's
    // clock_gettime, gettimeofday, time, clock_getres and getcpu enter the kernel. Made here as
    // the raw system calls, so this holds whatever this host's vDSO can do.
    if (!kSandboxAvailable) {  // ASan's runtime in the child would make calls the list lacks
        WARN("not checked: sanitizer builds have no sandbox");
        return;
    }
    for (ThreadRole role : {ThreadRole::Main, ThreadRole::Vcpu, ThreadRole::DebuggedVcpu, ThreadRole::StdinPump}) {
        ChildResult result = in_confined_child(
            [] {
                timespec now{};
                timeval day{};
                unsigned cpu = 0;
                bool all = ::syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now) == 0 &&
                           ::syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &now) == 0 &&
                           ::syscall(SYS_gettimeofday, &day, nullptr) == 0 && ::syscall(SYS_time, nullptr) > 0 &&
                           ::syscall(SYS_clock_getres, CLOCK_REALTIME, &now) == 0 &&
                           ::syscall(SYS_getcpu, &cpu, nullptr, nullptr) == 0;
                return all ? 0 : 1;
            },
            role);
        INFO(result.err);
        CHECK(result.status == 0);
    }
}

TEST_CASE("sandbox policy: an allowed call runs, a forbidden one ends the thread's process naming it", "[sandbox]") {
    if (!kSandboxAvailable) {  // ASan's runtime in the child would make calls the list lacks
        WARN("not checked: sanitizer builds have no sandbox");
        return;
    }
    ChildResult allowed = in_confined_child([] { return ::write(STDERR_FILENO, "ok\n", 3) == 3 ? 0 : 1; });
    CHECK(allowed.status == 0);
    CHECK(allowed.err == "ok\n");

    ChildResult refused = in_confined_child([] {
        long fd = ::syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC);
        return fd == -1 && errno == EACCES ? 0 : 1;
    });
    CHECK(refused.status == 0);  // malloc's kind of openat: refused, not fatal

    ChildResult forbidden =
        in_confined_child([] { return int(::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY)); });
    CHECK(forbidden.status == glassvm::kExitSandboxViolation);
    CHECK(forbidden.err == "glassvm: sandbox: the vcpu 7 thread made a forbidden system call: openat (257)\n");

    ChildResult exec = in_confined_child([] { return ::execl("/bin/true", "true", static_cast<char*>(nullptr)); });
    CHECK(exec.status == glassvm::kExitSandboxViolation);
    CHECK_THAT(exec.err, Catch::Contains("forbidden system call: execve (59)"));
}

TEST_CASE("sandbox programs: the build-time BPF is what libseccomp makes of the allowlists today, for this process",
          "[sandbox]") {
    for (ThreadRole role : {ThreadRole::Main, ThreadRole::Vcpu, ThreadRole::DebuggedVcpu, ThreadRole::StdinPump}) {
        INFO(role_name(role));
        std::vector<sock_filter> loaded = program_for_process(role, 4242), fresh = compile_allowlist(role, 4242);
        REQUIRE(loaded.size() == fresh.size());
        CHECK(std::equal(loaded.begin(), loaded.end(), fresh.begin(), [](const sock_filter& a, const sock_filter& b) {
            return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
        }));
        // Only the roles that may send the kick compare with the process id.
        bool kicks = role == ThreadRole::Main || role == ThreadRole::DebuggedVcpu;
        CHECK((precompiled_program(role).placeholders > 0) == kicks);
    }
    CHECK(std::string(syscall_name(257)) == "openat");
    CHECK(std::string(syscall_name(0)) == "read");
    CHECK(syscall_name(100000) == nullptr);
}

TEST_CASE("sandbox programs: the main thread may signal its own process and no other", "[sandbox]") {
    if (!kSandboxAvailable) {
        WARN("not checked: sanitizer builds have no sandbox");
        return;
    }
    // SIGWINCH is ignored by default: sent to itself, the child carries on.
    ChildResult own = in_confined_child([] { return int(::syscall(SYS_tgkill, ::getpid(), ::getpid(), SIGWINCH)); },
                                        ThreadRole::Main);
    CHECK(own.status == 0);
    ChildResult other = in_confined_child([] { return int(::syscall(SYS_tgkill, 1, 1, 0)); }, ThreadRole::Main);
    CHECK(other.status == glassvm::kExitSandboxViolation);
    CHECK_THAT(other.err, Catch::Contains("forbidden system call: tgkill (234)"));
}

TEST_CASE("sandbox users: numbers pass through, names come from /etc/passwd and /etc/group", "[sandbox]") {
    UserIds root = find_user("root", "--uid");
    CHECK(root.uid == 0);
    CHECK(root.primary_gid == 0);
    CHECK(find_user("0", "--uid").primary_gid_known);
    UserIds unknown = find_user("4000000", "--uid");
    CHECK(unknown.uid == 4000000u);
    CHECK_FALSE(unknown.primary_gid_known);
    CHECK(find_group("root", "--gid") == 0);
    CHECK(find_group("123", "--gid") == 123);
    CHECK_THROWS_AS(find_user("no-such-user-here", "--uid"), glassvm::Error);
    CHECK_THROWS_AS(find_group("12x", "--gid"), glassvm::Error);
}
