// glassvmd's API over its real UNIX socket, driven by curl: every route's happy path and its
// error codes (400, 404, 409, 413), images, and box and vm instances through the same calls.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "test_box_support.hpp"
#include "test_daemon_support.hpp"

using glassvm::test::TestDaemon;
using nlohmann::json;

namespace {

std::string wait_status(const TestDaemon& daemon, const std::string& id) {
    auto answer = daemon.post("/instances/" + id + "/wait");
    REQUIRE(answer.status == 200);
    return answer.json()["status"].dump();
}

}  // namespace

TEST_CASE("daemon: info, images and instances answer as JSON over the socket", "[daemon]") {
    TestDaemon daemon;
    auto info = daemon.get("/info");
    REQUIRE(info.status == 200);
    CHECK(info.json()["version"] == GLASSVM_VERSION);
    CHECK(info.json()["kvm"].contains("available"));
    // Which accelerators open on the daemon's host, and what --accel auto picks there.
    const json accelerators = info.json()["accelerators"];
    CHECK(accelerators["kvm"]["name"] == "KVM");
    CHECK(accelerators["soft"]["name"] == "soft CPU");
    CHECK(accelerators["kvm"]["usable"] == info.json()["kvm"]["available"]);
    for (const char* backend : {"kvm", "soft"}) CHECK_FALSE(accelerators[backend]["detail"].get<std::string>().empty());
    if (accelerators["kvm"]["usable"] == true)
        CHECK(accelerators["auto"] == "kvm");
    else
        CHECK(accelerators["auto"] == (accelerators["soft"]["usable"] == true ? json("soft") : json(nullptr)));
    CHECK(info.json()["cgroup"].is_string());
    CHECK(daemon.get("/images").json() == json::array());
    CHECK(daemon.get("/instances").json() == json::array());
    struct stat socket_status {};
    REQUIRE(::stat(daemon.socket().c_str(), &socket_status) == 0);
    CHECK((socket_status.st_mode & 0777) == 0660);
}

TEST_CASE("daemon: malformed requests answer 400, unknown ones 404, both as JSON messages", "[daemon]") {
    TestDaemon daemon;
    auto malformed = daemon.post("/instances", "{\"image\": ");
    CHECK(malformed.status == 400);
    CHECK(malformed.json()["message"].get<std::string>().find("not valid JSON") != std::string::npos);
    auto unknown_field = daemon.post("/instances", R"({"image": "busybox", "colour": "blue"})");
    CHECK(unknown_field.status == 400);
    CHECK(unknown_field.json()["message"].get<std::string>().find("colour") != std::string::npos);
    CHECK(daemon.post("/instances", R"({"image": 7})").status == 400);
    CHECK(daemon.post("/instances", R"({"image": "busybox", "kind": "zone"})").status == 400);
    CHECK(daemon.post("/instances", R"({"image": "busybox", "limits": {"memory": "lots"}})").status == 400);
    CHECK(daemon.post("/instances", R"({"image": "nothing"})").status == 404);
    for (const char* path : {"/instances/0123456789ab", "/images/nothing", "/no/such/route"}) {
        auto answer = daemon.get(path);
        CHECK(answer.status == 404);
        CHECK(answer.json().contains("message"));
    }
    CHECK(daemon.post("/instances/0123456789ab/start").status == 404);
    CHECK(daemon.post("/instances/0123456789ab/stop").status == 404);
    CHECK(daemon.post("/instances/0123456789ab/wait").status == 404);
    CHECK(daemon.get("/instances/0123456789ab/logs").status == 404);
    CHECK(daemon.remove("/instances/0123456789ab").status == 404);
    CHECK(daemon.remove("/images/nothing").status == 404);
}

TEST_CASE("daemon: a request body over the limit answers 413", "[daemon]") {
    TestDaemon daemon;
    std::string big = R"({"image": ")" + std::string(2 << 20, 'x') + R"("})";
    std::string file = daemon.directory() + "/big.json";
    {
        std::FILE* out = std::fopen(file.c_str(), "w");
        std::fwrite(big.data(), 1, big.size(), out);
        std::fclose(out);
    }
    auto too_big = daemon.request("POST", "/instances", "", {"--data-binary", "@" + file});
    CHECK(too_big.status == 413);
    CHECK(too_big.json().contains("message"));
    CHECK(daemon.get("/info").status == 200);
}

TEST_CASE("daemon: an image is imported, listed, inspected and removed", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    std::string id = daemon.import_busybox("busybox");
    auto list = daemon.get("/images").json();
    REQUIRE(list.size() == 1);
    CHECK(list[0]["id"] == id);
    CHECK(list[0]["name"] == "busybox:latest");
    CHECK(daemon.get("/images/busybox").json()["id"] == id);
    CHECK(daemon.get("/images/" + id).json()["config"]["command"] == json({"/probe", "10"}));
    CHECK(daemon.post("/images/import?name=empty", "").status == 400);

    std::string instance = daemon.create({{"image", "busybox"}});
    CHECK(daemon.remove("/images/busybox").status == 409);  // an instance uses it
    CHECK(daemon.remove("/instances/" + instance).status == 204);
    CHECK(daemon.remove("/images/busybox").status == 204);
    CHECK(daemon.get("/images/busybox").status == 404);
    CHECK(daemon.get("/images").json() == json::array());
}

TEST_CASE("daemon: a box instance is created, started, logged, waited for and removed", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string id = daemon.create({{"image", "busybox"},
                                    {"name", "greeter"},
                                    {"command", {"sh", "-c", "echo hello; sleep 0.3; echo bye; exit 3"}},
                                    {"limits", {{"memory", "64M"}, {"pids", 20}}}});
    auto created = daemon.get("/instances/greeter").json();
    CHECK(created["id"] == id);
    CHECK(created["kind"] == "box");
    CHECK(created["state"]["status"] == "created");
    CHECK(daemon.post("/instances/greeter/wait").status == 409);  // not started
    CHECK(daemon.post("/instances", json({{"image", "busybox"}, {"name", "greeter"}}).dump()).status == 409);

    REQUIRE(daemon.post("/instances/greeter/start").status == 204);
    CHECK(daemon.post("/instances/greeter/start").status == 409);    // already running
    CHECK(daemon.remove("/instances/greeter").status == 409);        // running
    auto followed = daemon.get("/instances/greeter/logs?follow=1");  // streams until the exit
    CHECK(followed.status == 200);
    CHECK(followed.body == "hello\nbye\n");
    CHECK(wait_status(daemon, id) == "3");
    auto exited = daemon.get("/instances/" + id.substr(0, 12)).json();
    CHECK(exited["state"]["status"] == "exited");
    CHECK(exited["state"]["exit_status"] == 3);
    CHECK(daemon.get("/instances/greeter/logs").body == "hello\nbye\n");
    CHECK(daemon.post("/instances/greeter/stop").status == 409);  // not running
    CHECK(daemon.get("/instances").json().size() == 1);
    CHECK(daemon.remove("/instances/greeter").status == 204);
    CHECK(daemon.get("/instances/greeter").status == 404);
    CHECK(daemon.get("/instances").json() == json::array());
}

TEST_CASE("daemon: logs with follow stream what an instance writes while it runs", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string id =
        daemon.create({{"image", "busybox"}, {"command", {"sh", "-c", "echo first; sleep 2; echo second"}}});
    REQUIRE(daemon.post("/instances/" + id + "/start").status == 204);
    std::string command =
        "curl -sN --unix-socket " + daemon.socket() + " 'http://glassvm/instances/" + id + "/logs?follow=1'";
    std::FILE* follow = ::popen(command.c_str(), "r");
    REQUIRE(follow != nullptr);
    char line[64] = {};
    REQUIRE(std::fgets(line, sizeof line, follow) != nullptr);
    CHECK(std::string(line) == "first\n");
    CHECK(daemon.get("/instances/" + id).json()["state"]["status"] == "running");  // streamed before the end
    REQUIRE(std::fgets(line, sizeof line, follow) != nullptr);
    CHECK(std::string(line) == "second\n");
    CHECK(std::fgets(line, sizeof line, follow) == nullptr);  // the stream ends with the instance
    CHECK(::pclose(follow) == 0);
    CHECK(daemon.get("/instances/" + id).json()["state"]["status"] == "exited");
}

TEST_CASE("daemon: stop sends SIGTERM, then SIGKILL once the grace period is over", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string polite = daemon.create({{"image", "busybox"}, {"command", {"sleep", "100"}}});
    std::string stubborn = daemon.create(
        {{"image", "busybox"}, {"command", {"sh", "-c", "trap '' TERM; echo ready; sleep 100 & wait; wait"}}});
    REQUIRE(daemon.post("/instances/" + polite + "/start").status == 204);
    REQUIRE(daemon.post("/instances/" + stubborn + "/start").status == 204);
    CHECK(daemon.post("/instances/" + polite + "/stop?t=abc").status == 400);
    CHECK(daemon.post("/instances/" + polite + "/stop?t=5").status == 204);
    CHECK(wait_status(daemon, polite) == "143");  // 128 + SIGTERM
    // Stop it only once its trap is set: a SIGTERM before that ends it as 143 (seen on a
    // sanitized build, where a box takes longer to start).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (daemon.get("/instances/" + stubborn + "/logs").body != "ready\n" &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(daemon.get("/instances/" + stubborn + "/logs").body == "ready\n");
    auto started = std::chrono::steady_clock::now();
    CHECK(daemon.post("/instances/" + stubborn + "/stop?t=0.5").status == 204);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(500));
    CHECK(wait_status(daemon, stubborn) == "137");  // 128 + SIGKILL
    // A running instance goes with force=1.
    REQUIRE(daemon.post("/instances/" + polite + "/start").status == 204);  // started again
    CHECK(daemon.remove("/instances/" + polite + "?force=1").status == 204);
}

TEST_CASE("daemon: one image runs as a box and as a vm through the same API", "[kvm][daemon]") {
    glassvm::test::require_root();
    glassvm::test::require_kvm();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string box = daemon.create({{"image", "busybox"}, {"kind", "box"}});
    std::string vm = daemon.create({{"image", "busybox"}, {"kind", "vm"}});
    CHECK(daemon.get("/instances/" + vm).json()["kind"] == "vm");
    for (const std::string& id : {box, vm}) REQUIRE(daemon.post("/instances/" + id + "/start").status == 204);
    CHECK(wait_status(daemon, box) == "0");
    CHECK(wait_status(daemon, vm) == "0");
    std::string box_log = daemon.get("/instances/" + box + "/logs").body;
    std::string vm_log = daemon.get("/instances/" + vm + "/logs").body;
    CHECK(glassvm::test::value_of(box_log, "sysname") == "Linux");   // the host's kernel answered
    CHECK(glassvm::test::value_of(vm_log, "sysname") == "glassvm");  // the guest's own kernel answered
    CHECK(glassvm::test::value_of(vm_log, "getppid_calls") == "10");
    for (const std::string& id : {box, vm}) CHECK(daemon.remove("/instances/" + id).status == 204);

    // A VM stops as a box does: SIGTERM to its glassvm.
    std::string sleeper =
        daemon.create({{"image", "busybox"}, {"kind", "vm"}, {"command", {"/probe", "sleep_ms=20000"}}});
    REQUIRE(daemon.post("/instances/" + sleeper + "/start").status == 204);
    CHECK(daemon.get("/instances/" + sleeper).json()["state"]["status"] == "running");
    CHECK(daemon.post("/instances/" + sleeper + "/stop?t=5").status == 204);
    CHECK(wait_status(daemon, sleeper) == "143");
}

TEST_CASE("daemon: an image is built from a Glassfile and its instance runs what the build made", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string context = daemon.directory() + "/context";
    std::filesystem::create_directories(context);
    std::ofstream(context + "/Glassfile") << "FROM busybox\nRUN echo built > /built\nCMD [\"cat\", \"/built\"]\n";
    auto built = daemon.post("/images/build", json({{"context", context}, {"name", "app"}}).dump());
    INFO(built.body);
    REQUIRE(built.status == 201);
    CHECK(built.json()["image"]["name"] == "app:latest");
    REQUIRE(built.json()["steps"].size() == 2);  // RUN and CMD (FROM makes no step)
    CHECK(built.json()["steps"][0]["instruction"] == "RUN echo built > /built");
    std::string id = daemon.create({{"image", "app"}});
    REQUIRE(daemon.post("/instances/" + id + "/start").status == 204);
    CHECK(wait_status(daemon, id) == "0");
    CHECK(daemon.get("/instances/" + id + "/logs").body == "built\n");

    std::ofstream(context + "/Glassfile") << "FROM busybox\nFROBNICATE\n";
    auto broken = daemon.post("/images/build", json({{"context", context}, {"name", "broken"}}).dump());
    CHECK(broken.status == 400);
    CHECK(broken.json()["message"].get<std::string>().find("Glassfile:2") != std::string::npos);
    CHECK(daemon.post("/images/build", R"({"context": "relative/dir"})").status == 400);
}
