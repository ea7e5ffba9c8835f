// glassvmd under many clients at once and under a silent one, and the glassvm CLI as its client.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_box_support.hpp"
#include "test_daemon_support.hpp"

using glassvm::test::TestDaemon;
using nlohmann::json;

namespace {

// A connection to the daemon's socket that sends `bytes` and then nothing more.
int silent_connection(const std::string& socket_path, const std::string& bytes) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    if (!bytes.empty()) REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    return fd;
}

}  // namespace

TEST_CASE("daemon: 20 concurrent clients create, start, wait for and remove instances", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    constexpr int kClients = 20;
    std::atomic<int> succeeded = 0;
    std::vector<std::string> failures(kClients);
    {
        std::vector<std::jthread> clients;
        for (int client = 0; client < kClients; ++client) {
            clients.emplace_back([&, client] {
                std::string name = "c" + std::to_string(client);
                json body = {{"image", "busybox"}, {"name", name}, {"command", {"sh", "-c", "echo " + name}}};
                auto created = daemon.post("/instances", body.dump());
                auto started = daemon.post("/instances/" + name + "/start");
                auto waited = daemon.post("/instances/" + name + "/wait");
                auto logs = daemon.get("/instances/" + name + "/logs");
                auto removed = daemon.remove("/instances/" + name);
                bool good = created.status == 201 && started.status == 204 && waited.status == 200 &&
                            logs.body == name + "\n" && removed.status == 204;
                if (good) ++succeeded;
                else failures[client] = created.body + started.body + waited.body + logs.body + removed.body;
            });
        }
    }
    for (const std::string& failure : failures) CHECK(failure == "");
    CHECK(succeeded == kClients);
    CHECK(daemon.get("/instances").json() == json::array());
}

TEST_CASE("daemon: clients that connect and send nothing (or half a request) do not block others", "[daemon]") {
    TestDaemon daemon;
    std::vector<int> silent;
    for (int i = 0; i < 10; ++i) silent.push_back(silent_connection(daemon.socket(), ""));
    for (int i = 0; i < 10; ++i) silent.push_back(silent_connection(daemon.socket(), "POST /instances HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"));
    for (int i = 0; i < 10; ++i) {
        auto started = std::chrono::steady_clock::now();
        CHECK(daemon.get("/info").status == 200);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    }
    // The daemon gives up on them after its read timeout (5 s) and closes their connections.
    char byte = 0;
    auto started = std::chrono::steady_clock::now();
    CHECK(::read(silent.front(), &byte, 1) == 0);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    for (int fd : silent) ::close(fd);
}

TEST_CASE("daemon: glassvm ps, create, start, logs, wait, stop and rm are its clients", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    auto glassvm = [&](std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), {glassvm::test::build_path("glassvm")});
        arguments.insert(arguments.begin() + 2, {"--socket", daemon.socket()});
        return glassvm::test::run_process(arguments);
    };
    auto created = glassvm({"create", "--name", "cli", "--memory", "32M", "busybox", "--", "sh", "-c", "echo from-cli; exit 4"});
    INFO(created.err);
    REQUIRE(created.exit_status == 0);
    std::string id = created.out.substr(0, created.out.find('\n'));
    CHECK(id.size() == 64);
    CHECK(glassvm({"start", "cli"}).exit_status == 0);
    auto waited = glassvm({"wait", "cli"});
    CHECK(waited.out == "4\n");
    CHECK(waited.exit_status == 4);
    CHECK(glassvm({"logs", "-f", "cli"}).out == "from-cli\n");
    auto listed = glassvm({"ps", "--json"});
    REQUIRE(listed.exit_status == 0);
    CHECK(json::parse(listed.out)[0]["state"]["exit_status"] == 4);
    auto table = glassvm({"ps"});
    CHECK(table.out.find("exited (4)") != std::string::npos);
    CHECK(glassvm({"images"}).out.find("busybox:latest") != std::string::npos);  // through the daemon
    auto not_running = glassvm({"stop", "cli"});
    CHECK(not_running.exit_status == 2);
    CHECK(not_running.err.find("not running") != std::string::npos);
    CHECK(glassvm({"rm", "cli"}).exit_status == 0);
    CHECK(glassvm({"ps", "--json"}).out == "[]\n");
    auto gone = glassvm({"inspect", "cli"});
    CHECK(gone.exit_status == 2);
    CHECK(gone.err.find("no instance cli") != std::string::npos);
}

TEST_CASE("daemon: a client with no daemon to talk to says so and how to start one", "[daemon]") {
    std::string socket = glassvm::test::build_path("daemon-tests-no-daemon.sock");
    auto result = glassvm::test::run_process({glassvm::test::build_path("glassvm"), "ps", "--socket", socket});
    INFO(result.err);
    CHECK(result.exit_status != 0);
    CHECK_THAT(result.err, Catch::Contains("cannot reach the daemon at " + socket));
    CHECK_THAT(result.err, Catch::Contains("Start it with 'glassvm daemon'"));
}
