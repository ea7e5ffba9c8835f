// The shim's own side: mount, start, record, forward signals, wait, record (see shim.hpp).
#include "daemon/shim.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "daemon/box_cgroups.hpp"
#include "daemon/instance.hpp"
#include "daemon/instance_state.hpp"
#include "image/overlay.hpp"

namespace glassvm::daemon {

namespace fs = std::filesystem;

namespace {

constexpr auto kEndTimeout = std::chrono::seconds(10);

Instance load_instance(const fs::path& directory) {
    auto text = read_text_file(directory / "instance.json");
    if (!text) throw Error(ErrorKind::Internal, "no instance.json in " + directory.string());
    return instance_from_json(nlohmann::json::parse(*text));
}

// The box's root filesystem, in a mount namespace only the shim and its children share.
std::unique_ptr<image::OverlayMount> mount_root_filesystem(const Instance& instance, const fs::path& directory) {
    if (instance.lower_layers.empty()) return nullptr;
    check_syscall("unshare CLONE_NEWNS", ::unshare(CLONE_NEWNS));
    check_syscall("mount --make-rprivate /", ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
    std::vector<fs::path> lower(instance.lower_layers.begin(), instance.lower_layers.end());
    return std::make_unique<image::OverlayMount>(lower, directory / "upper", directory / "work", directory / "rootfs");
}

sigset_t forwarded_signals() {
    sigset_t set;
    ::sigemptyset(&set);
    for (int signal_number : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::sigaddset(&set, signal_number);
    return set;
}

// The workload gets stdin, stdout and stderr and nothing else (as runc closes every descriptor
// from 3 up before it executes a container's process).
[[noreturn]] void exec_workload(const std::vector<std::string>& argv, const sigset_t& previous_mask) {
    ::sigprocmask(SIG_SETMASK, &previous_mask, nullptr);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) ::dup2(null, STDIN_FILENO);  // the copy is not close-on-exec, the original is
    ::close_range(3, ~0u, 0);
    std::vector<char*> pointers;
    for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
    pointers.push_back(nullptr);
    ::execv(pointers[0], pointers.data());
    fmt::print(stderr, "glassvm shim: cannot run {}: {}\n", argv.front(), std::strerror(errno));
    ::_exit(127);
}

// Waits for `child` to end, passing the forwarded signals on; returns its status (128 + signal
// if killed). The child is left a zombie (WNOWAIT): until it is reaped its pid, and so the name
// of its box's cgroup, cannot be another process's.
int supervise(pid_t child, const sigset_t& signals) {
    for (;;) {
        siginfo_t ended{};
        if (::waitid(P_PID, child, &ended, WEXITED | WNOHANG | WNOWAIT) == 0 && ended.si_pid == child)
            return ended.si_code == CLD_EXITED ? ended.si_status : 128 + ended.si_status;
        siginfo_t info{};
        if (::sigwaitinfo(&signals, &info) > 0 && info.si_signo != SIGCHLD) ::kill(child, info.si_signo);
    }
}

void redirect_output_to_log(const fs::path& directory) {
    Fd log(check_syscall("open the instance log",
                         ::open((directory / "log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)));
    check_syscall("dup2 log", ::dup2(log.get(), STDOUT_FILENO));
    check_syscall("dup2 log", ::dup2(log.get(), STDERR_FILENO));
}

}  // namespace

int run_shim(const fs::path& directory, int ready_fd) {
    Fd ready(ready_fd);
    ::fcntl(ready_fd, F_SETFD, FD_CLOEXEC);  // the workload must not inherit the daemon's pipe
    redirect_output_to_log(directory);
    Instance instance = load_instance(directory);
    if (instance.launch.empty()) throw Error(ErrorKind::Internal, "instance " + instance.id + " has no launch command");
    auto root_filesystem = mount_root_filesystem(instance, directory);

    sigset_t signals = forwarded_signals(), previous;
    ::sigprocmask(SIG_BLOCK, &signals, &previous);
    pid_t child = check_syscall("fork", ::fork());
    if (child == 0) exec_workload(instance.launch, previous);

    auto shim = identify_process(::getpid());
    auto workload = identify_child(child);  // a quick workload may have ended already: it is not reaped yet
    if (!shim || !workload) throw Error(ErrorKind::Internal, "cannot read the shim's or the workload's /proc/PID/stat");
    std::vector<std::string> box_cgroups = root_filesystem ? box_cgroup_candidates(child) : std::vector<std::string>{};
    write_shim_record(directory, {*shim, *workload, image::now_rfc3339(), box_cgroups});
    char byte = 1;
    if (::write(ready.get(), &byte, 1) != 1) { /* the daemon is gone: the instance runs on regardless */
    }
    ready.reset();

    int status = supervise(child, signals);
    // A glassvm box run killed with SIGKILL leaves its box's cgroup (and, for a moment, the box's
    // processes): they end here, before the instance is said to have exited.
    try {
        end_box_cgroups(box_cgroups, kEndTimeout);
    } catch (const Error& error) {
        fmt::print(stderr, "glassvm shim: {}\n", error.what());
    }
    ::waitpid(child, nullptr, 0);
    write_exit_record(directory, {status, image::now_rfc3339()});
    return 0;
}

}  // namespace glassvm::daemon
