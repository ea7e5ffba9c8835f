// glassvmd killed with SIGKILL while instances run, then started again: every image and
// instance is still there, running ones still run (and their exit status is collected later),
// and ones that ended meanwhile are exited with their status.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "test_box_support.hpp"
#include "test_daemon_support.hpp"

using glassvm::test::TestDaemon;
using nlohmann::json;

namespace {

json state_of(const TestDaemon& daemon, const std::string& name) {
    auto answer = daemon.get("/instances/" + name);
    REQUIRE(answer.status == 200);
    return answer.json()["state"];
}

// True when `pid` exists and is not a zombie (/proc/PID/stat's state field).
bool is_running(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(file, line)) return false;
    size_t close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z' && line[close + 2] != 'X';
}

}  // namespace

TEST_CASE("daemon: killed with SIGKILL and restarted, it has lost nothing and knows each state", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    std::string image = daemon.import_busybox();
    daemon.create({{"image", "busybox"}, {"name", "done-before"}, {"command", {"sh", "-c", "exit 3"}}});
    daemon.create(
        {{"image", "busybox"}, {"name", "ends-meanwhile"}, {"command", {"sh", "-c", "sleep 0.5; echo late; exit 7"}}});
    daemon.create({{"image", "busybox"}, {"name", "outlives"}, {"command", {"sh", "-c", "sleep 3; exit 9"}}});
    daemon.create({{"image", "busybox"}, {"name", "never-started"}});
    REQUIRE(daemon.post("/instances/done-before/start").status == 204);
    REQUIRE(daemon.post("/instances/done-before/wait").status == 200);
    REQUIRE(daemon.post("/instances/ends-meanwhile/start").status == 204);
    REQUIRE(daemon.post("/instances/outlives/start").status == 204);

    daemon.kill_hard();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // ends-meanwhile ends while no daemon runs
    daemon.start();

    CHECK(daemon.get("/images").json()[0]["id"] == image);
    CHECK(daemon.get("/instances").json().size() == 4);
    CHECK(state_of(daemon, "done-before")["exit_status"] == 3);
    CHECK(state_of(daemon, "ends-meanwhile")["status"] == "exited");
    CHECK(state_of(daemon, "ends-meanwhile")["exit_status"] == 7);
    CHECK(daemon.get("/instances/ends-meanwhile/logs").body == "late\n");
    CHECK(state_of(daemon, "outlives")["status"] == "running");
    CHECK(state_of(daemon, "never-started")["status"] == "created");
    auto waited = daemon.post("/instances/outlives/wait");
    CHECK(waited.json()["status"] == 9);
    CHECK(state_of(daemon, "outlives")["status"] == "exited");
}

TEST_CASE("daemon: an instance whose shim died while no daemon ran is exited with an unknown status", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string id = daemon.create({{"image", "busybox"}, {"name", "orphan"}, {"command", {"sleep", "100"}}});
    REQUIRE(daemon.post("/instances/orphan/start").status == 204);
    auto record = json::parse(
        glassvm::test::run_process({"cat", daemon.directory() + "/root/instances/" + id + "/shim.json"}).out);
    daemon.kill_hard();
    ::kill(record["shim"]["pid"].get<pid_t>(), SIGKILL);  // the shim dies too: nothing records the end
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    daemon.start();
    json state = state_of(daemon, "orphan");
    CHECK(state["status"] == "exited");
    CHECK(state["lost"] == true);
    CHECK(state["exit_status"].is_null());
    CHECK(daemon.post("/instances/orphan/wait").json()["status"].is_null());
    // The restarted daemon ended the workload the dead shim left behind.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK_FALSE(is_running(record["workload"]["pid"].get<pid_t>()));
}
