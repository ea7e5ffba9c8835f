// glassvm box, each isolation property asserted for real: real namespaces, a real rootfs,
// real cgroup limits, real capabilities and seccomp, on this host's kernel.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "test_box_support.hpp"

using namespace glassvm::test;

namespace {

std::string host_release() {
    utsname names{};
    ::uname(&names);
    return names.release;
}

std::string host_hostname() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

}  // namespace

TEST_CASE("box: the host's kernel answers, and the workload runs as PID 2 under glassvm's init as PID 1", "[box]") {
    require_root();
    ProcessResult result = run_box({}, {"/probe", "10"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    CHECK(value_of(result.out, "sysname") == "Linux");
    CHECK(value_of(result.out, "release") == host_release());  // the same kernel: no VM here
    CHECK(value_of(result.out, "pid") == "2");
    CHECK(value_of(result.out, "ppid") == "1");

    ProcessResult init = box_shell("cat /proc/1/comm; echo $$");
    INFO(init.out << init.err);
    CHECK(init.out == "glassvm-init\n2\n");
}

TEST_CASE("box: the hostname is the box's own and the host's is untouched", "[box]") {
    require_root();
    std::string before = host_hostname();
    ProcessResult named = run_box({"--hostname", "inside-box"}, {"hostname"});
    INFO(named.out << named.err);
    CHECK(named.out == "inside-box\n");
    CHECK(box_shell("hostname").out == "glassvm-box\n");
    CHECK(host_hostname() == before);
    CHECK(before != "inside-box");
}

TEST_CASE("box: --workdir is the workload's working directory, and a relative one is refused", "[box]") {
    require_root();
    ProcessResult in_tmp = run_box({"--workdir", "/tmp"}, {"pwd"});
    INFO(in_tmp.out << in_tmp.err);
    CHECK(in_tmp.out == "/tmp\n");
    CHECK(box_shell("pwd").out == "/\n");
    ProcessResult relative = run_box({"--workdir", "tmp"}, {"pwd"});
    CHECK(relative.exit_status == 2);
    CHECK_THAT(relative.err, Catch::Contains("--workdir: 'tmp' is not an absolute path"));
}

TEST_CASE("box: the host's root filesystem is not visible", "[box]") {
    require_root();
    std::string marker = "/tmp/glassvm-box-marker-" + std::to_string(::getpid());
    std::ofstream(marker) << "host\n";
    ProcessResult result = box_shell("test -e " + marker +
                                     " && echo visible || echo hidden; ls /; "
                                     "cat /proc/self/mountinfo | wc -l; test -e /work && echo work-visible; true");
    std::filesystem::remove(marker);
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    std::vector<std::string> lines = lines_of(result.out);
    REQUIRE(lines.size() > 3);
    CHECK(lines[0] == "hidden");
    CHECK(std::find(lines.begin(), lines.end(), "probe") != lines.end());  // the rootfs is "/"
    CHECK(std::find(lines.begin(), lines.end(), "work-visible") == lines.end());
    // Only the box's own mounts: the root, /proc, /dev and its nodes, /sys, the cgroup binds and
    // the masked paths — not the host's dozens.
    int mounts = std::stoi(lines.back());
    CHECK(mounts < 40);
}

TEST_CASE("box: /proc lists only the box's processes", "[box]") {
    require_root();
    ProcessResult result = box_shell("for p in /proc/[0-9]*; do echo ${p#/proc/}; done");
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    std::vector<std::string> pids = lines_of(result.out);
    // init (1), the shell (2), and at most a process or two the shell started: nothing of the host.
    REQUIRE(!pids.empty());
    CHECK(pids.size() <= 4);
    CHECK(std::find(pids.begin(), pids.end(), "1") != pids.end());
    CHECK(std::find(pids.begin(), pids.end(), "2") != pids.end());
    for (const std::string& pid : pids) CHECK(std::stoi(pid) < 20);
}

TEST_CASE("box: an allocation beyond --memory kills the workload and glassvm reports the OOM kill", "[box]") {
    require_root();
    ProcessResult fits = run_box({"--memory", "32M"}, {"/isolation-check", "alloc", "8"});
    INFO(fits.out << fits.err);
    CHECK(fits.exit_status == 0);
    CHECK(value_of(fits.out, "allocated") == "8");

    ProcessResult result = run_box({"--memory", "16M"}, {"/isolation-check", "alloc", "64"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 128 + SIGKILL);
    CHECK(value_of(result.out, "allocated").empty());
    CHECK_THAT(result.err, Catch::Contains("killed by SIGKILL") && Catch::Contains("memory limit (16 MiB)") &&
                               Catch::Contains("OOM killer"));
}

TEST_CASE("box: the memory and pids limits are written into the box's own cgroup", "[box]") {
    require_root();
    // The box sees its own cgroup directories, read-only, at /sys/fs/cgroup (v1 trees here,
    // one unified directory on a cgroup v2 host).
    ProcessResult result = box_shell(
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null ||"
        " cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; cat /proc/self/cgroup | grep -c ':/$'",
        {"--memory", "48M", "--pids", "33"});
    INFO(result.out << result.err);
    std::vector<std::string> lines = lines_of(result.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "50331648");
    CHECK(lines[1] == "33");
    CHECK(std::stoi(lines[2]) >= 1);  // the cgroup namespace: the box's cgroup is its "/"
}

TEST_CASE("box: a fork bomb stops at --pids", "[box]") {
    require_root();
    ProcessResult result = run_box({"--pids", "10"}, {"/isolation-check", "forkbomb"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    // init and isolation-check count against the limit too.
    int forked = std::stoi(value_of(result.out, "forked"));
    CHECK(forked >= 1);
    CHECK(forked <= 8);
    CHECK(value_of(result.out, "fork_error") == "EAGAIN");
}

TEST_CASE("box: --cpus throttles CPU time", "[box]") {
    require_root();
    ProcessResult result = run_box({"--cpus", "0.2"}, {"/isolation-check", "spin", "600"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    double cpu = std::stod(value_of(result.out, "cpu_ms")), wall = std::stod(value_of(result.out, "wall_ms"));
    CHECK(cpu / wall < 0.45);  // 0.2 of a CPU, with a period's slack
}

TEST_CASE("box: denied system calls return EPERM", "[box]") {
    require_root();
    ProcessResult result = run_box({}, {"/isolation-check", "syscalls"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    CHECK(value_of(result.out, "getpid") == "ok");
    for (const char* name : {"keyctl", "add_key", "request_key", "bpf", "ptrace", "perf_event_open", "kexec_load",
                             "kexec_file_load", "mount", "umount2", "unshare_user", "setns", "clone_newuser",
                             "clock_settime", "swapon", "reboot", "init_module", "userfaultfd"}) {
        INFO(name);
        CHECK(value_of(result.out, name) == "EPERM");
    }
    // unshare(CLONE_NEWUSER) needs no capability at all: only the filter can refuse it.
    ProcessResult status = box_shell("grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status");
    CHECK_THAT(status.out, Catch::Contains("NoNewPrivs:\t1") && Catch::Contains("Seccomp:\t2"));
}

TEST_CASE("box: capabilities are dropped to the default set", "[box]") {
    require_root();
    ProcessResult result = box_shell("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status");
    INFO(result.out << result.err);
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW
    // SYS_CHROOT AUDIT_WRITE SETFCAP; no MKNOD (bit 27), SYS_ADMIN (bit 21), SYS_MODULE, …
    CHECK(result.out ==
          "CapInh:\t0000000000000000\nCapPrm:\t00000000a00425fb\nCapEff:\t00000000a00425fb\n"
          "CapBnd:\t00000000a00425fb\nCapAmb:\t0000000000000000\n");
}

TEST_CASE("box: orphans are reaped by the box's init", "[box]") {
    require_root();
    // The inner shell exits at once; its `sleep` is orphaned, adopted by PID 1, and must be
    // reaped there when it ends, or it would stay a zombie (state Z).
    ProcessResult result = box_shell("sh -c 'sleep 0.2 &'; sleep 0.6; cat /proc/[0-9]*/stat | cut -d' ' -f2,3");
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    CHECK_THAT(result.out, Catch::Contains("(glassvm-init) S"));
    CHECK_THAT(result.out, !Catch::Contains(" Z"));
}

TEST_CASE("box: SIGTERM to glassvm reaches the workload, whose status glassvm returns", "[box]") {
    require_root();
    std::string rootfs = box_rootfs(), binary = build_path("glassvm");
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    pid_t glassvm = ::fork();
    REQUIRE(glassvm >= 0);
    if (glassvm == 0) {
        ::dup2(ready[1], 1);
        ::execl(binary.c_str(), "glassvm", "box", "run", "--rootfs", rootfs.c_str(), "--", "sh", "-c",
                "trap 'exit 42' TERM; echo ready; while true; do sleep 0.05; done", nullptr);
        ::_exit(127);
    }
    ::close(ready[1]);
    // SIGTERM once the trap is set (the workload says so), not after a guessed delay: a slow
    // start (a sanitized build) let the signal arrive first, and sh died of it (143).
    char said[6] = {};
    pollfd readable{ready[0], POLLIN, 0};
    REQUIRE(::poll(&readable, 1, 30000) == 1);
    REQUIRE(::read(ready[0], said, 6) == 6);
    CHECK(std::string(said, 6) == "ready\n");
    ::kill(glassvm, SIGTERM);
    int status = 0;
    ::waitpid(glassvm, &status, 0);
    ::close(ready[0]);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 42);
}

// Runs `glassvm box run --rootfs … -- COMMAND` with output discarded; returns glassvm's pid
// (its cgroup is glassvm-box-<pid>) and exit status.
static std::pair<pid_t, int> run_box_quietly(const std::vector<std::string>& options,
                                             const std::vector<std::string>& command) {
    std::vector<std::string> argv = {build_path("glassvm"), "box", "run", "--rootfs", box_rootfs()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
    pid_t pid = start_quietly(argv);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {pid, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
}

TEST_CASE("box: no cgroup or mount is left behind, also after a crash", "[box]") {
    require_root();
    std::string before = host_mountinfo();
    auto normal = run_box_quietly({"--memory", "32M", "--pids", "20", "--cpus", "0.5"}, {"true"});
    auto crashed = run_box_quietly({}, {"sh", "-c", "kill -SEGV $$"});
    auto oom = run_box_quietly({"--memory", "16M"}, {"/isolation-check", "alloc", "64"});
    auto failed = run_box_quietly({}, {"/no/such/program"});
    CHECK(normal.second == 0);
    CHECK(crashed.second == 128 + SIGSEGV);
    CHECK(oom.second == 128 + SIGKILL);
    CHECK(failed.second == 127);
    CHECK(host_mountinfo() == before);  // the box's mounts lived in its own mount namespace
    for (auto run : {normal, crashed, oom, failed}) {
        INFO("glassvm pid " << run.first);
        CHECK(find_box_cgroup("glassvm-box-" + std::to_string(run.first)).empty());
    }
}

TEST_CASE("box: when glassvm is killed with SIGKILL the box dies with it, and the next run removes its cgroup",
          "[box]") {
    require_root();
    pid_t glassvm = ::fork();
    REQUIRE(glassvm >= 0);
    if (glassvm == 0) {
        std::string rootfs = box_rootfs(), binary = build_path("glassvm");
        ::execl(binary.c_str(), "glassvm", "box", "run", "--rootfs", rootfs.c_str(), "--", "sleep", "30", nullptr);
        ::_exit(127);
    }
    // While it runs, the box's cgroup holds its init and the workload (host pids).
    std::string own = "glassvm-box-" + std::to_string(glassvm);
    std::filesystem::path cgroup;
    std::vector<pid_t> box_processes;
    for (int attempt = 0; attempt < 100 && box_processes.size() < 2; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (cgroup.empty()) cgroup = find_box_cgroup(own);
        box_processes.clear();
        std::ifstream procs(cgroup / "cgroup.procs");
        for (pid_t pid; procs >> pid;) box_processes.push_back(pid);
    }
    ::kill(glassvm, SIGKILL);
    ::waitpid(glassvm, nullptr, 0);
    INFO("cgroup " << cgroup);
    REQUIRE(box_processes.size() == 2);  // init and sleep
    // PR_SET_PDEATHSIG killed the box's init, and with it the whole PID namespace.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (pid_t pid : box_processes) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        std::getline(stat, line);
        INFO("pid " << pid << ": " << line);
        CHECK((line.empty() || line.find(") Z") != std::string::npos));  // gone, or a zombie about to be reaped
    }
    // Nothing was left to remove the (now empty) cgroup; the next box run does. (A box test
    // running in parallel may have been that next run already.)
    CHECK(run_box({}, {"true"}).exit_status == 0);
    CHECK_FALSE(std::filesystem::exists(cgroup));
}

TEST_CASE("box: a rootless box runs with --user as an unprivileged user", "[box]") {
    require_root();
    std::string binary = build_path("glassvm");
    ProcessResult result =
        run_process({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary, "box", "run", "--user",
                     "--rootfs", box_rootfs(), "--", "sh", "-c", "id -u; hostname; cat /proc/self/uid_map"});
    INFO(result.out << result.err);
    if (result.exit_status != 0 && result.err.find("clone") != std::string::npos) {
        std::printf("SKIPPED: this kernel does not let unprivileged users create user namespaces: %s\n",
                    result.err.c_str());
        std::fflush(stdout);
        std::_Exit(77);
    }
    REQUIRE(result.exit_status == 0);
    std::vector<std::string> lines = lines_of(result.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "0");  // root inside…
    CHECK(lines[1] == "glassvm-box");
    CHECK_THAT(lines[2], Catch::Matches(R"(\s*0\s+65534\s+1)"));  // …nobody outside
}
