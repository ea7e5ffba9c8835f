// A box, step by step. glassvm (the host side) prepares the cgroup, clones the box's first
// process into new namespaces, lets it go, and supervises it; the box side builds the
// container around itself and becomes PID 1; the workload side locks itself down and execs.
//
//   host side                         box side (PID 1)                 workload side (PID 2)
//   check_can_run, check_rootfs
//   create_cgroup (limits, devices)
//   clone_into_namespaces ──────────► die_with_glassvm
//                                     close_inherited_descriptors
//   write_id_maps, add_process        wait_until_released
//   release ────────────────────────► enter_cgroup_namespace, start_session
//                                     make_mounts_private, bind_rootfs
//                                     mount_all (/proc, /dev, /sys …)
//                                     create_device_nodes, mask/readonly paths
//                                     pivot_into (old root detached)
//                                     set_hostname
//                                     start_workload ──────────────► reset_signals_for_exec
//   read setup result                 run_init (reap, forward)          set_rlimits, switch_user
//   supervise (forward signals)                                         enter_working_directory
//   collect outcome, remove cgroup                                      apply_capabilities
//                                                                       PR_SET_NO_NEW_PRIVS
//                                                                       install_seccomp_filter
//                                                                       exec_workload (fds 3+ CLOEXEC)
//
// Every process here runs glassvm's code, and the kernel shows its file as /proc/PID/exe: the
// caller re-executes glassvm from a sealed copy first (sealed_executable.hpp), so that what the
// box can reach that way is the copy, never the host's file.
#include "container/box.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "container/capabilities.hpp"
#include "container/cgroups.hpp"
#include "container/descriptors.hpp"
#include "container/init.hpp"
#include "container/mounts.hpp"
#include "container/namespaces.hpp"
#include "container/rootfs.hpp"
#include "container/seccomp_filter.hpp"
#include "container/setup_channel.hpp"
#include "container/signals.hpp"

namespace glassvm::container {

namespace fs = std::filesystem;

namespace {

// The pipes between glassvm and the box.
struct BoxPipes {
    Fd release_reader, release_writer;  // glassvm → box: "your cgroup and id maps are ready"
    Fd status_reader, status_writer;    // init → glassvm: the workload's raw wait status
    SetupChannel setup;                 // box → glassvm: a set-up or exec failure
};

void make_pipe(Fd& reader, Fd& writer) {
    int fds[2];
    check_syscall("pipe2", ::pipe2(fds, O_CLOEXEC));
    reader = Fd(fds[0]);
    writer = Fd(fds[1]);
}

// ── host side ─────────────────────────────────────────────────────────────────────────────

void check_can_run(const ContainerConfig& config) {
    if (::geteuid() != 0 && !(config.namespaces & CLONE_NEWUSER))
        throw_bad_input(
            "glassvm box needs root to create namespaces and cgroups; run it as root, or add --user for "
            "a rootless box (a user namespace makes you root inside it only)");
}

void check_rootfs(const fs::path& rootfs) {
    std::error_code error;
    if (!fs::exists(rootfs, error))
        throw_bad_input("rootfs {} does not exist (make one with scripts/make-rootfs {})", rootfs.string(),
                        rootfs.string());
    if (!fs::is_directory(rootfs, error)) throw_bad_input("rootfs {} is not a directory", rootfs.string());
}

BoxCgroup create_cgroup(const ContainerConfig& config) {
    return BoxCgroup::create(fmt::format("glassvm-box-{}", ::getpid()), config.resources);
}

void release(BoxPipes& pipes) {
    char go = 'g';
    check_syscall("release the box", static_cast<int>(::write(pipes.release_writer.get(), &go, 1)));
    pipes.release_writer.reset();
}

int wait_for_exit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw Error::from_errno("waitpid box", errno);
    return status;
}

// Forwards signals to the box's init until it exits; returns its wait status.
int supervise(pid_t init) {
    for (;;) {
        int signal_number = wait_for_signal();
        if (signal_number != SIGCHLD) {
            ::kill(init, signal_number);
            continue;
        }
        int status = 0;
        pid_t pid = ::waitpid(init, &status, WNOHANG);
        if (pid == init) return status;
    }
}

// ── workload side ─────────────────────────────────────────────────────────────────────────

void set_rlimits(const ContainerConfig& config) {
    for (const Rlimit& limit : config.rlimits) {
        rlimit value{limit.soft, limit.hard};
        check_syscall(fmt::format("setrlimit {}", limit.resource),
                      ::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value));
    }
    if (config.umask) ::umask(*config.umask);
}

void set_no_new_privileges() { check_syscall("prctl PR_SET_NO_NEW_PRIVS", ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)); }

[[noreturn]] void exec_workload(const ContainerConfig& config, SetupChannel& setup) {
    std::vector<char*> argv, envp;
    for (const std::string& arg : config.args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    for (const std::string& variable : config.env) envp.push_back(const_cast<char*>(variable.c_str()));
    envp.push_back(nullptr);
    environ = envp.data();  // execvp searches the box's PATH, not glassvm's
    // Nothing but stdin, stdout and stderr reaches the program (the setup pipe, close-on-exec
    // already, stays open to report a failed exec).
    close_descriptors_on_exec();
    ::execvp(argv[0], argv.data());
    int error = errno;
    bool searched = config.args[0].find('/') == std::string::npos;
    std::string message = error == ENOENT && searched
                              ? fmt::format("{}: command not found in the box's PATH", config.args[0])
                              : fmt::format("{}: {}", config.args[0], std::strerror(error));
    setup.report({SetupFailure::Stage::Exec, ErrorKind::BadInput, error, message});
    ::_exit(error == ENOENT ? 127 : 126);  // as a shell: not found, found but not executable
}

[[noreturn]] void workload_main(const ContainerConfig& config, SetupChannel& setup) {
    try {
        reset_signals_for_exec();
        set_rlimits(config);
        switch_user(config.uid, config.gid, config.additional_gids);
        enter_working_directory(config.cwd);
        // seccomp needs CAP_SYS_ADMIN or no_new_privs: without the latter, filter first.
        if (!config.no_new_privileges) install_seccomp_filter();
        apply_capabilities(config.capabilities);
        if (config.no_new_privileges) {
            set_no_new_privileges();
            install_seccomp_filter();
        }
    } catch (const Error& error) {
        setup.report({SetupFailure::Stage::SetUp, error.kind(), error.error_number(), error.what()});
        ::_exit(120);
    }
    exec_workload(config, setup);
}

// ── box side ──────────────────────────────────────────────────────────────────────────────

// If glassvm dies (even by SIGKILL), the kernel kills the box's init, and with it the whole
// PID namespace; its mount namespace then goes away with its last process.
void die_with_glassvm() { check_syscall("prctl PR_SET_PDEATHSIG", ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)); }

// The box's first process keeps only its ends of the three pipes: every other descriptor
// glassvm inherited from its caller is closed before anything of the box is built.
void close_inherited_descriptors(BoxPipes& pipes) {
    pipes.release_writer.reset();
    pipes.status_reader.reset();
    pipes.setup.close_reader();
    close_descriptors_except({pipes.release_reader.get(), pipes.status_writer.get(), pipes.setup.writer()});
}

void wait_until_released(Fd& release_reader) {
    char go = 0;
    ssize_t got;
    do got = ::read(release_reader.get(), &go, 1);
    while (got < 0 && errno == EINTR);
    if (got != 1) ::_exit(120);  // glassvm gave up (or died) before releasing us
    release_reader.reset();
}

// A session of its own: the terminal's Ctrl-C reaches glassvm only, which forwards it once.
void start_session() { check_syscall("setsid", ::setsid()); }

void build_filesystem(const ContainerConfig& config, const MountContext& context) {
    make_mounts_private();
    bind_rootfs(config.rootfs);
    mount_all(config.rootfs, config.mounts, context);
    create_device_nodes(config.rootfs);
    mask_paths(config.rootfs, config.masked_paths);
    make_paths_readonly(config.rootfs, config.readonly_paths);
    pivot_into(config.rootfs);
    if (config.readonly_root) remount_root_readonly();
}

void set_hostname(const std::string& hostname) {
    if (hostname.empty()) return;
    check_syscall(fmt::format("sethostname {}", hostname), ::sethostname(hostname.data(), hostname.size()));
}

pid_t start_workload(const ContainerConfig& config, BoxPipes& pipes) {
    pid_t pid = check_syscall("fork workload", ::fork());
    if (pid == 0) workload_main(config, pipes.setup);
    return pid;
}

[[noreturn]] void box_main(const ContainerConfig& config, BoxPipes& pipes, const MountContext& context) {
    try {
        die_with_glassvm();
        close_inherited_descriptors(pipes);
        wait_until_released(pipes.release_reader);
        if (config.namespaces & CLONE_NEWCGROUP) enter_cgroup_namespace();
        start_session();
        build_filesystem(config, context);
        set_hostname(config.hostname);
        ::prctl(PR_SET_NAME, "glassvm-init", 0, 0, 0);
        pid_t workload = start_workload(config, pipes);
        pipes.setup.close_writer();
        run_init(workload, std::move(pipes.status_writer));
    } catch (const Error& error) {
        pipes.setup.report({SetupFailure::Stage::SetUp, error.kind(), error.error_number(), error.what()});
    } catch (const std::exception& error) {
        pipes.setup.report({SetupFailure::Stage::SetUp, ErrorKind::Internal, 0, error.what()});
    }
    ::_exit(120);
}

// ── the two sides together ────────────────────────────────────────────────────────────────

ContainerConfig resolved(const ContainerConfig& config) {
    ContainerConfig copy = config;
    copy.rootfs = fs::canonical(config.rootfs);
    if (copy.args.empty()) throw_bad_input("no command to run in the box");
    return copy;
}

}  // namespace

BoxOutcome run_box(const ContainerConfig& requested) {
    check_can_run(requested);
    check_rootfs(requested.rootfs);
    ContainerConfig config = resolved(requested);
    BoxCgroup cgroup = create_cgroup(config);
    MountContext context{config.bundle, cgroup.mount_sources()};
    BlockedSignals blocked;
    BoxPipes pipes;
    make_pipe(pipes.release_reader, pipes.release_writer);
    make_pipe(pipes.status_reader, pipes.status_writer);

    pid_t init = clone_into_namespaces(config.namespaces & ~CLONE_NEWCGROUP);
    if (init == 0) box_main(config, pipes, context);
    pipes.release_reader.reset();
    pipes.status_writer.reset();
    pipes.setup.close_writer();
    try {
        if (config.namespaces & CLONE_NEWUSER) write_id_maps(init, config.uid_mappings, config.gid_mappings);
        cgroup.add_process(init);
        release(pipes);
    } catch (...) {
        ::kill(init, SIGKILL);
        wait_for_exit(init);
        throw;
    }

    if (std::optional<SetupFailure> failure = pipes.setup.read_failure()) {
        if (failure->stage == SetupFailure::Stage::SetUp) {
            wait_for_exit(init);
            throw Error(failure->kind, fmt::format("box: {}", failure->message), failure->error_number);
        }
        fmt::print(stderr, "glassvm: box: {}\n", failure->message);
    }

    int init_status = supervise(init);
    BoxOutcome outcome;
    int workload_status = 0;
    if (::read(pipes.status_reader.get(), &workload_status, sizeof workload_status) == sizeof workload_status)
        outcome.workload_wait_status = workload_status;
    if (WIFSIGNALED(init_status)) outcome.init_signal = WTERMSIG(init_status);
    outcome.exit_status = shell_status(init_status);
    outcome.oom_kills = cgroup.oom_kills();
    outcome.peak_memory_bytes = cgroup.peak_memory_bytes();
    cgroup.remove();
    return outcome;
}

std::string describe_ending(const BoxOutcome& outcome, const ContainerConfig& config) {
    std::string sentence;
    if (outcome.workload_wait_status && WIFSIGNALED(*outcome.workload_wait_status)) {
        sentence = fmt::format("the workload was killed by {}", signal_name(WTERMSIG(*outcome.workload_wait_status)));
    } else if (outcome.init_signal) {
        sentence =
            fmt::format("the box's init was killed by {}, and the box with it", signal_name(*outcome.init_signal));
    }
    if (outcome.oom_kills > 0) {
        std::string limit = config.resources.memory_bytes
                                ? fmt::format("its memory limit ({} MiB)", *config.resources.memory_bytes >> 20)
                                : std::string("its memory limit");
        std::string oom =
            fmt::format("out of memory: the box reached {} and the kernel's OOM killer ended {} process{}", limit,
                        outcome.oom_kills, outcome.oom_kills == 1 ? "" : "es");
        sentence = sentence.empty() ? oom : sentence + "; " + oom;
    }
    return sentence;
}

}  // namespace glassvm::container
