// The escapes and weaknesses of issue 16 that belong to the box itself, each reproduced as an
// attack on the host, with the host checked afterwards: a host directory descriptor or working
// directory reaching the workload (CVE-2024-21626's class), host device nodes on a cgroup v2
// host, the host's glassvm file reachable through /proc/PID/exe (CVE-2019-5736's class), an
// --image overlay left in the host's mount table by SIGKILL, and system calls Docker's default
// seccomp profile refuses.
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_box_support.hpp"
#include "test_image_support.hpp"

using namespace glassvm::test;
namespace fs = std::filesystem;

namespace {

std::string pid_text() { return std::to_string(::getpid()); }

// A host file whose content must never appear in what a box prints.
struct HostSecret {
    std::string path = "/tmp/glassvm-escape-secret-" + pid_text();
    std::string text = "host-secret-" + pid_text();
    HostSecret() { std::ofstream(path) << text << "\n"; }
    ~HostSecret() { fs::remove(path); }
};

// The host's "/" open in this process WITHOUT close-on-exec, so that every program the test
// starts inherits it, as glassvm inherits whatever its caller (a shell, a build tool) left open.
struct InheritedHostRoot {
    int fd = ::open("/", O_RDONLY | O_DIRECTORY);
    InheritedHostRoot() { REQUIRE(fd >= 3); }
    ~InheritedHostRoot() { ::close(fd); }
    std::string number() const { return std::to_string(fd); }
};

// A copy of the box test rootfs for one test, for what a test puts into its rootfs (other
// tests copy the shared one while they run: it must not change under them).
struct PrivateRootfs {
    fs::path path = build_path("box-test-private") + "/" + pid_text();
    PrivateRootfs() {
        fs::remove_all(path);
        fs::create_directories(path.parent_path());
        REQUIRE(run_process({"cp", "-a", box_rootfs(), path.string()}).exit_status == 0);
    }
    ~PrivateRootfs() { fs::remove_all(path); }
};

// A minimal OCI bundle on the shared test rootfs: /proc and a tmpfs /dev, pid and mount
// namespaces, the given process fields.
std::string minimal_bundle(const std::string& name, const nlohmann::json& process) {
    fs::path bundle = build_path("box-test-bundles") + "/" + name + "-" + pid_text();
    fs::remove_all(bundle);
    fs::create_directories(bundle);
    nlohmann::json config = {
        {"ociVersion", "1.0.2"},
        {"root", {{"path", box_rootfs()}}},
        {"process", process},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "mode=755"}}}}},
        {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}}}}},
    };
    std::ofstream(bundle / "config.json") << config.dump(1);
    return bundle.string();
}

ProcessResult run_bundle(const std::string& bundle, const std::string& glassvm = build_path("glassvm")) {
    return run_process({glassvm, "box", "run", "--bundle", bundle}, {}, std::chrono::seconds(30));
}

// The host pids in the cgroup of the box `glassvm` (a pid) runs, once there are `count` of them.
std::vector<pid_t> box_processes(pid_t glassvm, size_t count) {
    std::vector<pid_t> pids;
    for (int attempt = 0; attempt < 250 && pids.size() < count; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::string cgroup = find_box_cgroup("glassvm-box-" + std::to_string(glassvm));
        if (cgroup.empty()) continue;
        pids.clear();
        std::ifstream procs(cgroup + "/cgroup.procs");
        for (pid_t pid; procs >> pid;) pids.push_back(pid);
    }
    return pids;
}

std::string file_bytes(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// A copy of glassvm to attack (an attack that worked must not break the build's own binary).
struct VictimGlassvm {
    fs::path directory = build_path("box-test-victims") + "/" + pid_text();
    fs::path path = directory / "glassvm";
    std::string bytes;
    struct stat before {};
    VictimGlassvm() {
        fs::remove_all(directory);
        fs::create_directories(directory);
        fs::copy_file(build_path("glassvm"), path);
        ::chmod(path.c_str(), 0755);
        bytes = file_bytes(path);
        REQUIRE(::stat(path.c_str(), &before) == 0);
    }
    ~VictimGlassvm() { fs::remove_all(directory); }
    // Whether this build's glassvm is dynamically linked (a PT_INTERP program header): the
    // sanitized build is, and a box's rootfs has no loader or libasan for it.
    bool dynamically_linked() const {
        Elf64_Ehdr header{};
        std::memcpy(&header, bytes.data(), std::min(bytes.size(), sizeof header));
        for (unsigned i = 0; i < header.e_phnum; ++i) {
            Elf64_Phdr segment{};
            size_t at = header.e_phoff + i * sizeof segment;
            if (at + sizeof segment > bytes.size()) break;
            std::memcpy(&segment, bytes.data() + at, sizeof segment);
            if (segment.p_type == PT_INTERP) return true;
        }
        return false;
    }
    void check_unharmed() const {
        struct stat after {};
        REQUIRE(::stat(path.c_str(), &after) == 0);
        CHECK(after.st_mode == before.st_mode);
        CHECK(after.st_ino == before.st_ino);
        CHECK(file_bytes(path) == bytes);
    }
};

}  // namespace

// ── item 3: host descriptors and working directories ────────────────────────────────────────

TEST_CASE("box escapes: a host directory descriptor open in glassvm's caller does not reach the workload", "[box]") {
    require_root();
    HostSecret secret;
    InheritedHostRoot host_root;
    std::string fd = "/proc/self/fd/" + host_root.number();
    ProcessResult result = box_shell("echo fds:; ls /proc/$$/fd; cat " + fd + secret.path + " 2>&1; chroot " + fd +
                                     "/../.. /bin/cat " + secret.path + " 2>&1; true");
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    std::vector<std::string> lines = lines_of(result.out);
    REQUIRE(lines.size() >= 4);
    CHECK(std::vector<std::string>(lines.begin(), lines.begin() + 4) ==
          std::vector<std::string>{"fds:", "0", "1", "2"});
    CHECK_THAT(result.out + result.err, !Catch::Contains(secret.text));
}

TEST_CASE("box escapes: --workdir and process.cwd cannot start the workload outside the box's root", "[box]") {
    require_root();
    HostSecret secret;
    InheritedHostRoot host_root;
    std::string relative_secret = secret.path.substr(1);  // read from the working directory
    // The host's "/" as the working directory, through the inherited descriptor.
    ProcessResult via_fd = run_box({"--workdir", "/proc/self/fd/" + host_root.number()}, {"cat", relative_secret});
    INFO(via_fd.out << via_fd.err);
    CHECK(via_fd.exit_status != 0);
    CHECK_THAT(via_fd.out + via_fd.err, !Catch::Contains(secret.text));
    // Magic links are refused outright, whatever they point at.
    for (const char* link : {"/proc/self/fd/0", "/proc/1/cwd", "/proc/self/root"}) {
        ProcessResult magic = run_box({"--workdir", link}, {"pwd"});
        INFO(link << ": " << magic.out << magic.err);
        CHECK(magic.exit_status == 2);
        CHECK_THAT(magic.err, Catch::Contains("magic link"));
    }
    // ".." stops at the box's root.
    ProcessResult up = run_box({"--workdir", "/tmp/../../.."}, {"pwd"});
    INFO(up.out << up.err);
    CHECK(up.out == "/\n");
    // The same for an OCI bundle's process.cwd.
    std::string bundle = minimal_bundle("cwd-escape", {{"args", {"cat", relative_secret}},
                                                       {"cwd", "/proc/self/fd/" + host_root.number()},
                                                       {"env", {"PATH=/bin:/usr/bin"}}});
    ProcessResult oci = run_bundle(bundle);
    INFO(oci.out << oci.err);
    CHECK(oci.exit_status != 0);
    CHECK_THAT(oci.out + oci.err, !Catch::Contains(secret.text));
}

TEST_CASE("box escapes: a Glassfile RUN step gets no descriptor of glassvm build's caller", "[box][image]") {
    require_root();
    HostSecret secret;
    fs::path directory = fresh_image_test_directory("run-descriptors");
    InheritedHostRoot host_root;
    std::string fd = "/proc/self/fd/" + host_root.number();
    // `exec > /fds`, not `ls > /fds`: for a redirected command busybox's sh keeps its own stdout
    // as descriptor 10 meanwhile, which the listing would show.
    make_context(directory / "context",
                 "FROM scratch\nCOPY rootfs /\nRUN exec > /fds; ls /proc/$$/fd; if cat " + fd + secret.path +
                     "; then exit 1; fi\nCMD cat /fds\n",
                 CopyRootfs::Yes);
    ProcessResult build =
        glassvm_with_store(directory / "store", {"build", (directory / "context").string(), "-t", "fds"});
    INFO(build.out << build.err);
    CHECK_THAT(build.out + build.err, !Catch::Contains(secret.text));
    REQUIRE(build.exit_status == 0);
    ProcessResult fds = run_in_image(directory / "store", "fds", "cat /fds");
    INFO(fds.out << fds.err);
    CHECK(fds.out == "0\n1\n2\n");
}

// ── item 4: devices ─────────────────────────────────────────────────────────────────────────

namespace {

// Nodes of host devices in a rootfs, as an image could carry them.
struct HostDeviceNodes {
    PrivateRootfs rootfs;
    fs::path host_directory = rootfs.path / "devices";
    std::string box_directory = "/devices";
    dev_t disk = 0;
    HostDeviceNodes() {
        fs::create_directories(host_directory);
        // The disk "/" is on, when it is a block device; else the first loop device.
        struct stat root {};
        ::stat("/", &root);
        disk = major(root.st_dev) != 0 ? root.st_dev : makedev(7, 0);
        REQUIRE(::mknod((host_directory / "disk").c_str(), S_IFBLK | 0600, disk) == 0);
        REQUIRE(::mknod((host_directory / "fuse").c_str(), S_IFCHR | 0666, makedev(10, 229)) == 0);
        REQUIRE(::mknod((host_directory / "mem").c_str(), S_IFCHR | 0600, makedev(1, 1)) == 0);
    }

    // What the box may do with devices, one key=value a line.
    std::string script() const {
        std::string d = box_directory, numbers = std::to_string(major(disk)) + " " + std::to_string(minor(disk));
        return "for n in null zero full random urandom; do (exec 3<>/dev/$n) 2>/dev/null && echo $n=open || echo "
               "$n=denied; done;"
               "for n in disk fuse mem; do (exec 3<" +
               d +
               "/$n) 2>/dev/null && echo $n=open || echo $n=denied; done;"
               "mknod " +
               d + "/made-disk b " + numbers +
               " 2>/dev/null && echo mknod_disk=made || echo mknod_disk=denied;"
               "mknod " +
               d + "/made-null c 1 3 2>/dev/null && (exec 3<>" + d +
               "/made-null) 2>/dev/null"
               " && echo mknod_null=works || echo mknod_null=denied;"
               "echo dev_options=$(awk '$2==\"/dev\"{print $4}' /proc/self/mounts);"
               "cp /bin/busybox /dev/bb; /dev/bb true 2>/dev/null; echo dev_exec_status=$?";
    }

    static void check(const ProcessResult& result) {
        INFO(result.out << result.err);
        REQUIRE(result.exit_status == 0);
        for (const char* allowed : {"null", "zero", "full", "random", "urandom"}) {
            INFO(allowed);
            CHECK(value_of(result.out, allowed) == "open");
        }
        CHECK(value_of(result.out, "disk") == "denied");  // the host's disk
        CHECK(value_of(result.out, "fuse") == "denied");  // a node anyone may open on the host
        CHECK(value_of(result.out, "mem") == "denied");
        CHECK(value_of(result.out, "mknod_disk") == "denied");
        CHECK(value_of(result.out, "mknod_null") == "denied");  // no CAP_MKNOD in a box, not even for null
        // /dev is nodev (a node made there could not be opened, whoever made it)…
        CHECK_THAT(value_of(result.out, "dev_options"),
                   Catch::Contains("nosuid") && Catch::Contains("nodev") && Catch::Contains("noexec"));
        CHECK(value_of(result.out, "dev_exec_status") == "126");  // …and noexec
    }
};

}  // namespace

TEST_CASE("box escapes: host devices can be neither made nor opened (cgroup v1 devices here)", "[box]") {
    require_root();
    HostDeviceNodes nodes;
    HostDeviceNodes::check(run_process({build_path("glassvm"), "box", "run", "--rootfs", nodes.rootfs.path.string(),
                                        "--", "sh", "-c", nodes.script()}));
}

TEST_CASE("box escapes: host devices can be neither made nor opened on a pure cgroup v2 host (BPF device program)",
          "[box]") {
    require_root();
    if (file_bytes("/proc/filesystems").find("\tcgroup2\n") == std::string::npos) {
        std::printf("SKIPPED: this kernel has no cgroup2 filesystem\n");
        std::fflush(stdout);
        std::_Exit(77);
    }
    HostDeviceNodes nodes;
    // glassvm in a mount namespace of its own where /sys/fs/cgroup is one cgroup2 mount and no
    // v1 tree exists: what glassvm finds on a Debian 12 host. (Here the v1 controllers stay
    // bound to their trees, so the v2 hierarchy has no controllers: the box gets a v2 cgroup
    // for its device program alone.)
    std::vector<std::string> argv = {"unshare",
                                     "--mount",
                                     "--propagation",
                                     "private",
                                     "sh",
                                     "-c",
                                     "umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && "
                                     "grep -c ' cgroup ' /proc/self/mounts >&2; exec \"$0\" \"$@\"",
                                     build_path("glassvm"),
                                     "box",
                                     "run",
                                     "--rootfs",
                                     nodes.rootfs.path.string(),
                                     "--",
                                     "sh",
                                     "-c",
                                     nodes.script() + "; echo cgroup=$(grep '^0::' /proc/self/cgroup)"};
    ProcessResult result = run_process(argv, {}, std::chrono::seconds(30));
    INFO(result.out << result.err);
    CHECK_THAT(result.err, Catch::StartsWith("0\n"));  // no v1 mount left in glassvm's view
    CHECK(value_of(result.out, "cgroup") == "0::/");   // in a v2 cgroup (its namespace's root)
    HostDeviceNodes::check(result);
}

// ── item 6: the host's glassvm file ─────────────────────────────────────────────────────────

TEST_CASE("box escapes: no process of a box runs the host's glassvm file", "[box]") {
    require_root();
    VictimGlassvm victim;
    pid_t glassvm = start_quietly({victim.path.string(), "box", "run", "--rootfs", box_rootfs(), "--", "sleep", "20"});
    std::vector<pid_t> processes = box_processes(glassvm, 2);
    std::vector<std::string> exes;
    for (pid_t pid : processes) {
        struct stat exe {};
        bool readable = ::stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &exe) == 0;
        std::error_code error;
        exes.push_back(fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", error).string());
        CHECK(readable);
        CHECK_FALSE((exe.st_dev == victim.before.st_dev && exe.st_ino == victim.before.st_ino));
    }
    ::kill(glassvm, SIGTERM);
    ::waitpid(glassvm, nullptr, 0);
    INFO("exes of the box's processes: " << nlohmann::json(exes).dump());
    REQUIRE(processes.size() == 2);  // init, sleep
    // The box's init runs the sealed copy.
    CHECK(std::any_of(exes.begin(), exes.end(),
                      [](const std::string& exe) { return exe.starts_with("/memfd:glassvm"); }));
    victim.check_unharmed();
}

TEST_CASE("box escapes: /proc/1/exe and #!/proc/self/exe reach only a sealed copy of glassvm", "[box]") {
    require_root();
    VictimGlassvm victim;
    // Even a box granted CAP_SYS_PTRACE, which may open its init's /proc/1/exe, finds a copy
    // there that it can read and run but not change.
    nlohmann::json caps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID", "CAP_SYS_PTRACE"};
    std::string bundle = minimal_bundle(
        "proc-exe", {{"args",
                      {"sh", "-c",
                       "stat -L -c 'exe=%d:%i' /proc/1/exe; cat /proc/1/exe > /dev/null && echo read=yes;"
                       "(printf x >> /proc/1/exe) 2>/dev/null && echo append=yes || echo append=no;"
                       "(exec 3<>/proc/1/exe) 2>/dev/null && echo open_rw=yes || echo open_rw=no"}},
                     {"env", {"PATH=/bin:/usr/bin"}},
                     {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}}});
    ProcessResult result = run_bundle(bundle, victim.path.string());
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    CHECK(value_of(result.out, "read") == "yes");  // the attack's first step works…
    CHECK(value_of(result.out, "exe") !=
          std::to_string(victim.before.st_dev) + ":" + std::to_string(victim.before.st_ino));
    CHECK(value_of(result.out, "append") == "no");
    CHECK(value_of(result.out, "open_rw") == "no");

    // A workload that is a `#!/proc/self/exe` script runs glassvm inside the box: the copy.
    PrivateRootfs rootfs;
    fs::path script = rootfs.path / "selfexe";
    std::ofstream(script) << "#!/proc/self/exe\n";
    fs::permissions(script, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    ProcessResult shebang =
        run_process({victim.path.string(), "box", "run", "--rootfs", rootfs.path.string(), "--", "/selfexe"});
    INFO(shebang.out << shebang.err);
    if (victim.dynamically_linked()) {
        // The copy cannot even start in a box without its loader: the kernel refuses the
        // script's interpreter, and glassvm reports the workload's exec failure.
        CHECK(shebang.exit_status == 127);
        CHECK_THAT(shebang.err, Catch::Contains("/selfexe: No such file or directory"));
    } else {
        CHECK(shebang.exit_status == 2);                          // glassvm's usage error: it ran…
        CHECK_THAT(shebang.err, Catch::StartsWith("glassvm: "));  // …as the box's workload
    }
    victim.check_unharmed();
}

// ── item 11: the --image overlay ────────────────────────────────────────────────────────────

TEST_CASE("box escapes: box run --image killed with SIGKILL leaves no overlay in the host's mount table",
          "[box][image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("overlay-sigkill");
    fs::path tar = directory / "rootfs.tar", store = directory / "store";
    REQUIRE(run_process({"tar", "-C", box_rootfs(), "-cf", tar.string(), "."}).exit_status == 0);
    REQUIRE(glassvm_with_store(store, {"image", "import", tar.string(), "-t", "sleeper"}).exit_status == 0);
    pid_t glassvm = start_quietly(
        {build_path("glassvm"), "box", "run", "--image", "sleeper", "--store", store.string(), "--", "sleep", "100"});
    std::vector<pid_t> processes = box_processes(glassvm, 2);
    std::string while_running = host_mountinfo();
    ::kill(glassvm, SIGKILL);
    ::waitpid(glassvm, nullptr, 0);
    REQUIRE(processes.size() == 2);                               // the box was up, on its overlay
    CHECK_THAT(while_running, !Catch::Contains(store.string()));  // never in the host's table
    // The box dies with glassvm (PR_SET_PDEATHSIG), and its mount namespaces with it.
    for (int attempt = 0; attempt < 100 && ::kill(processes[1], 0) == 0; ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_THAT(host_mountinfo(), !Catch::Contains(store.string()));
    CHECK_THAT(host_mountinfo(), !Catch::Contains("upperdir=" + (store / "tmp").string()));
}

TEST_CASE("box escapes: glassvm build killed with SIGKILL in a RUN step leaves no overlay in the host's mount table",
          "[box][image]") {
    require_root();
    fs::path directory = fresh_image_test_directory("build-sigkill");
    make_context(directory / "context", "FROM scratch\nCOPY rootfs /\nRUN sleep 100\n", CopyRootfs::Yes);
    fs::path store = directory / "store";
    pid_t glassvm = start_quietly(
        {build_path("glassvm"), "build", (directory / "context").string(), "-t", "killed", "--store", store.string()});
    std::vector<pid_t> processes = box_processes(glassvm, 2);
    std::string while_running = host_mountinfo();
    ::kill(glassvm, SIGKILL);
    ::waitpid(glassvm, nullptr, 0);
    REQUIRE(processes.size() == 2);  // the RUN step was running, on its overlay
    CHECK_THAT(while_running, !Catch::Contains(store.string()));
    for (int attempt = 0; attempt < 100 && ::kill(processes[1], 0) == 0; ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_THAT(host_mountinfo(), !Catch::Contains(store.string()));
}

// ── "Also": what Docker's seccomp profile refuses ───────────────────────────────────────────

TEST_CASE("box escapes: io_uring, the kernel log, AF_VSOCK sockets and personality flags are refused", "[box]") {
    require_root();
    ProcessResult result = run_box({}, {"/isolation-check", "syscalls"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);  // EPERM, not a killed box
    for (const char* name :
         {"io_uring_setup", "syslog", "socket_vsock", "personality_no_aslr", "personality_high_bits"}) {
        INFO(name);
        CHECK(value_of(result.out, name) == "EPERM");
    }
    // Docker's allowed values still work: the query and PER_LINUX.
    CHECK(value_of(result.out, "personality_query") == "ok");
    CHECK(value_of(result.out, "personality_linux") == "ok");
}
