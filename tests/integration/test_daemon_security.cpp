// What a daemon box leaves on the host must be out of other users' reach and must end with the
// instance: each test replays an attack from issue 16 and checks that the host is unharmed.
//   - a setuid root binary or a 0666 device planted in the box's upper directory
//   - an instance's env (secrets) in command lines or world-readable files
//   - a box left running after its shim was killed, and box cgroups left after SIGKILL
//   - descriptors the daemon's side leaks into the box (/dev/null twice)
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "test_box_support.hpp"
#include "test_daemon_support.hpp"

using glassvm::test::TestDaemon;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& path) {
    struct stat status {};
    REQUIRE(::lstat(path.c_str(), &status) == 0);
    return status.st_mode & 07777;
}

std::string read_file(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// Waits until the instance's log holds `text` (up to 10 s).
void wait_for_log(const TestDaemon& daemon, const std::string& id, const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (daemon.get("/instances/" + id + "/logs").body.find(text) == std::string::npos) {
        INFO(daemon.get("/instances/" + id + "/logs").body);
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// The descriptors from 3 up that `pid` holds open on /dev/null, as "PID:FD".
std::vector<std::string> dev_null_descriptors(pid_t pid) {
    std::vector<std::string> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        int fd = std::atoi(entry.path().filename().c_str());
        if (fd >= 3 && fs::read_symlink(entry.path(), error) == "/dev/null")
            found.push_back(std::to_string(pid) + ":" + std::to_string(fd));
    }
    return found;
}

// A running `sleep 100` box: its workload (glassvm box run), the box's sleep, its cgroups.
struct SleepingBox {
    std::string id;
    pid_t shim = 0, workload = 0, sleeper = 0;
    std::vector<pid_t> processes;      // the workload and everything below it
    std::vector<std::string> cgroups;  // glassvm-box-<workload> in every tree
};

SleepingBox start_sleeping_box(const TestDaemon& daemon) {
    SleepingBox box;
    box.id = daemon.create({{"image", "busybox"}, {"command", {"sleep", "100"}}});
    REQUIRE(daemon.post("/instances/" + box.id + "/start").status == 204);
    json record = daemon.shim_record(box.id);
    box.shim = record["shim"]["pid"];
    box.workload = record["workload"]["pid"];
    box.sleeper = glassvm::test::wait_for_descendant(box.workload, "sleep", std::chrono::seconds(10));
    REQUIRE(box.sleeper != 0);
    box.processes = glassvm::test::descendants(box.workload);
    box.processes.push_back(box.workload);
    box.cgroups = glassvm::test::cgroup_directories_named("glassvm-box-" + std::to_string(box.workload));
    REQUIRE_FALSE(box.cgroups.empty());
    return box;
}

// The box's cgroups must be gone when the call returns (they are how the box is killed); its
// processes get a moment to finish dying: the workload (glassvm box run, outside the box's cgroup)
// exits by itself once its box is dead, which a sanitized glassvm's leak check at exit makes take
// a few hundred milliseconds.
void check_box_gone(const SleepingBox& box) {
    for (const std::string& cgroup : box.cgroups) {
        INFO("cgroup " << cgroup << " is left");
        CHECK_FALSE(fs::exists(cgroup));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (pid_t pid : box.processes) {
        while (glassvm::test::process_runs(pid) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        INFO("pid " << pid << " (" << glassvm::test::process_name(pid) << ") of the box still runs after 5 s");
        CHECK_FALSE(glassvm::test::process_runs(pid));
    }
}

}  // namespace

TEST_CASE("daemon: a setuid binary or a device a box plants in its upper directory is out of other users' reach",
          "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    fs::permissions(daemon.directory(), fs::perms(0755));  // as /var/lib, the root's parent, is
    daemon.import_busybox();
    std::string id = daemon.create({{"image", "busybox"},
                                    {"command",
                                     {"sh", "-c",
                                      "cp /bin/busybox /tmp/id && chmod 4755 /tmp/id && "
                                      "{ mknod /tmp/null c 1 3 && chmod 666 /tmp/null || true; }"}}});
    REQUIRE(daemon.post("/instances/" + id + "/start").status == 204);
    REQUIRE(daemon.post("/instances/" + id + "/wait").json()["status"] == 0);

    fs::path upper = fs::path(daemon.instance_directory(id)) / "upper";
    REQUIRE(mode_of(upper / "tmp/id") == 04755);  // the box did plant it (busybox: run as "id", it is id)
    auto run = glassvm::test::run_as_nobody({(upper / "tmp/id").string(), "-u"});
    INFO("nobody ran the box's setuid file: status " << run.exit_status << ", " << run.out << run.err);
    CHECK(run.exit_status != 0);
    CHECK_THAT(run.err, Catch::Contains("Permission denied"));
    if (fs::exists(fs::symlink_status(upper / "tmp/null"))) {
        auto write = glassvm::test::run_as_nobody({"sh", "-c", "echo x > " + (upper / "tmp/null").string()});
        INFO("nobody wrote to the box's device node: status " << write.exit_status << ", " << write.err);
        CHECK(write.exit_status != 0);
        CHECK_THAT(write.err, Catch::Contains("Permission denied"));
    }
    // containerd's layout: the state is the daemon's alone.
    CHECK(mode_of(daemon.root()) == 0700);
    CHECK(mode_of(daemon.root() + "/instances") == 0700);
    CHECK(mode_of(daemon.instance_directory(id)) == 0700);

    // A state an older glassvmd left open (0755 under umask 022) is closed when the daemon starts.
    daemon.kill_hard();
    for (const std::string& directory : {daemon.root(), daemon.root() + "/instances", daemon.instance_directory(id)})
        fs::permissions(directory, fs::perms(0755));
    daemon.start();
    CHECK(mode_of(daemon.root()) == 0700);
    CHECK(mode_of(daemon.root() + "/instances") == 0700);
    CHECK(mode_of(daemon.instance_directory(id)) == 0700);
    auto again = glassvm::test::run_as_nobody({(upper / "tmp/id").string(), "-u"});
    INFO("after a restart, nobody ran the box's setuid file: status " << again.exit_status << ", " << again.out
                                                                      << again.err);
    CHECK_THAT(again.err, Catch::Contains("Permission denied"));
}

TEST_CASE("daemon: an instance's env is in no command line and in no file other users can read", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string secret = "glassvm-secret-" + std::to_string(std::random_device()());
    std::string id = daemon.create(
        {{"image", "busybox"},
         {"env", {"SECRET=" + secret}},
         {"command", {"sh", "-c", "echo \"delivered $SECRET\"; sleep 100"}}});  // the secret itself in no argument
    REQUIRE(daemon.post("/instances/" + id + "/start").status == 204);
    wait_for_log(daemon, id, "delivered " + secret);  // the box has it

    // What any user sees: ps, run as nobody.
    auto ps = glassvm::test::run_as_nobody({"ps", "-eo", "pid,args", "--no-headers"});
    REQUIRE(ps.exit_status == 0);
    REQUIRE(ps.out.find("sleep 100") != std::string::npos);  // nobody does see the box's processes
    INFO("ps as nobody:\n" << ps.out);
    CHECK(ps.out.find(secret) == std::string::npos);

    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        if (std::atoi(entry.path().filename().c_str()) <= 0) continue;
        std::string command_line = read_file(entry.path() / "cmdline");
        std::replace(command_line.begin(), command_line.end(), '\0', ' ');
        INFO("process " << entry.path().filename().string() << ": " << command_line);
        CHECK(command_line.find(secret) == std::string::npos);
    }
    CHECK(mode_of(fs::path(daemon.instance_directory(id)) / "instance.json") == 0600);
    int files_with_it = 0;
    for (const auto& entry : fs::directory_iterator(daemon.instance_directory(id))) {
        if (!entry.is_regular_file() || read_file(entry.path()).find(secret) == std::string::npos) continue;
        ++files_with_it;
        INFO(entry.path().string() << " holds the env");
        CHECK((mode_of(entry.path()) & 077) == 0);
    }
    CHECK(files_with_it >= 1);  // it is kept for the next start
    CHECK(daemon.remove("/instances/" + id + "?force=1").status == 204);
}

TEST_CASE("daemon: removing a box whose shim was killed ends the box, cgroup and all", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    SleepingBox box = start_sleeping_box(daemon);
    REQUIRE(::kill(box.shim, SIGKILL) == 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (glassvm::test::process_runs(box.shim) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(glassvm::test::process_runs(box.sleeper));  // the attack: the box runs on without its shim
    CHECK(daemon.get("/instances/" + box.id).json()["state"]["lost"] == true);

    CHECK(daemon.remove("/instances/" + box.id + "?force=1").status == 204);
    check_box_gone(box);
    CHECK_FALSE(fs::exists(daemon.instance_directory(box.id)));
}

TEST_CASE("daemon: a box whose shim died while no daemon ran is ended, cgroup and all, when it starts", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    SleepingBox box = start_sleeping_box(daemon);
    daemon.kill_hard();
    REQUIRE(::kill(box.shim, SIGKILL) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    daemon.start();
    check_box_gone(box);
    CHECK(daemon.get("/instances/" + box.id).json()["state"]["lost"] == true);
}

TEST_CASE("daemon: stop by SIGKILL and remove with force leave no box cgroup behind", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    SleepingBox stubborn = start_sleeping_box(daemon);
    CHECK(daemon.post("/instances/" + stubborn.id + "/stop?t=0").status == 204);  // SIGKILL at once
    CHECK(daemon.post("/instances/" + stubborn.id + "/wait").json()["status"] == 137);
    check_box_gone(stubborn);

    SleepingBox removed = start_sleeping_box(daemon);
    CHECK(daemon.remove("/instances/" + removed.id + "?force=1").status == 204);
    check_box_gone(removed);
}

TEST_CASE("daemon: a box gets no descriptor from the daemon's side but 0, 1 and 2", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    SleepingBox box = start_sleeping_box(daemon);
    for (pid_t pid : {box.shim, box.workload, box.sleeper}) {
        INFO("process " << pid << " (" << glassvm::test::process_name(pid) << ")");
        CHECK(dev_null_descriptors(pid) == std::vector<std::string>{});
    }
    CHECK(daemon.remove("/instances/" + box.id + "?force=1").status == 204);
}
