// glassvmd under many clients at once, under silent and slow ones and many long waits, and the
// glassvm CLI as its client (which talks only to a socket its user or root owns).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
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

// Milliseconds until the daemon closes `fd` (reads until EOF or an error), at most `limit`.
long milliseconds_until_closed(int fd, std::chrono::milliseconds limit) {
    auto started = std::chrono::steady_clock::now();
    char buffer[4096];
    for (;;) {
        auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (spent >= limit) return spent.count();
        pollfd waiting{fd, POLLIN, 0};
        if (::poll(&waiting, 1, static_cast<int>((limit - spent).count())) > 0 &&
            ::read(fd, buffer, sizeof buffer) <= 0)
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                .count();
    }
}

// A listening UNIX socket at `path`, owned by `uid` (as another user would plant it).
int planted_listener(const std::string& path, uid_t uid) {
    ::unlink(path.c_str());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    REQUIRE(::chmod(path.c_str(), 0777) == 0);
    REQUIRE(::chown(path.c_str(), uid, uid) == 0);
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
                if (good)
                    ++succeeded;
                else
                    failures[client] = created.body + started.body + waited.body + logs.body + removed.body;
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
    for (int i = 0; i < 10; ++i)
        silent.push_back(
            silent_connection(daemon.socket(), "POST /instances HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"));
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
    auto created =
        glassvm({"create", "--name", "cli", "--memory", "32M", "busybox", "--", "sh", "-c", "echo from-cli; exit 4"});
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

TEST_CASE("daemon: slow clients and many pending waits do not keep /info from answering", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    std::string id = daemon.create({{"image", "busybox"}, {"command", {"sleep", "100"}}});
    REQUIRE(daemon.post("/instances/" + id + "/start").status == 204);
    // 70 slow-loris connections, each sending one more header line every second (no read
    // timeout ever fires), and 64 waits that last as long as the instance runs.
    std::vector<int> slow, waits;
    for (int i = 0; i < 70; ++i) slow.push_back(silent_connection(daemon.socket(), "GET /info HTTP/1.1\r\n"));
    std::string wait = "POST /instances/" + id + "/wait HTTP/1.1\r\nHost: glassvm\r\nContent-Length: 0\r\n\r\n";
    for (int i = 0; i < 64; ++i) waits.push_back(silent_connection(daemon.socket(), wait));
    std::atomic<bool> done = false;
    std::jthread trickle([&] {
        for (int line = 0; !done; ++line) {
            std::string header = "X-Slow-" + std::to_string(line) + ": 1\r\n";
            for (int fd : slow) ::send(fd, header.data(), header.size(), MSG_NOSIGNAL);
            for (int i = 0; i < 20 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // all of them accepted and waiting
    for (int i = 0; i < 5; ++i) {
        auto answer =
            glassvm::test::run_process({"curl", "-s", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                                        "--unix-socket", daemon.socket(), "http://glassvm/info"});
        INFO("GET /info answered " << answer.out << " after " << answer.elapsed.count() << " ms");
        CHECK(answer.out == "200");
        CHECK(answer.elapsed < std::chrono::milliseconds(2000));
    }
    // The whole request has a deadline, not each read: the slow ones are cut off, however
    // steadily they trickle.
    long closed_after = milliseconds_until_closed(slow.front(), std::chrono::seconds(15));
    CHECK(closed_after < 9000);
    done = true;
    trickle.join();
    for (int fd : slow) ::close(fd);
    CHECK(daemon.remove("/instances/" + id + "?force=1").status == 204);
    for (int fd : waits) ::close(fd);
}

TEST_CASE("daemon: a client refuses a socket, or a socket directory, that neither its user nor root owns", "[daemon]") {
    glassvm::test::require_root();
    namespace fs = std::filesystem;
    // The client verbs live in glassvmd: a copy nobody can run, in a directory nobody can reach.
    char pattern[] = "/tmp/glassvmd-trust-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    fs::path scratch = pattern;
    fs::permissions(scratch, fs::perms(0755));
    fs::copy_file(glassvm::test::build_path("glassvmd"), scratch / "glassvmd");
    std::string client = (scratch / "glassvmd").string();
    constexpr uid_t kOther = 4242;  // another user, who planted listeners where nobody's client looks

    // $XDG_RUNTIME_DIR is nobody's own; the socket in it is someone else's.
    fs::path runtime = scratch / "runtime";
    fs::create_directory(runtime);
    fs::permissions(runtime, fs::perms(0700));
    REQUIRE(::chown(runtime.c_str(), 65534, 65534) == 0);
    int in_runtime = planted_listener((runtime / "glassvm.sock").string(), kOther);
    auto refused =
        glassvm::test::run_as_nobody({client, "ps"}, {"XDG_RUNTIME_DIR=" + runtime.string()}, std::chrono::seconds(10));
    INFO(refused.err);
    CHECK(refused.exit_status != 0);
    CHECK_THAT(refused.err, Catch::Contains("owned by uid 4242"));

    // Without $XDG_RUNTIME_DIR: the old default /tmp/glassvm-65534.sock and the new per-user
    // directory, both planted.
    int old_default = planted_listener("/tmp/glassvm-65534.sock", kOther);
    fs::path directory = "/tmp/glassvm-65534";
    fs::remove_all(directory);
    fs::create_directory(directory);
    REQUIRE(::chown(directory.c_str(), kOther, kOther) == 0);
    fs::permissions(directory, fs::perms(0777));
    int in_directory = planted_listener((directory / "glassvm.sock").string(), 65534);
    auto without_runtime = glassvm::test::run_as_nobody({client, "ps"}, {}, std::chrono::seconds(10));
    INFO(without_runtime.err);
    CHECK(without_runtime.exit_status != 0);
    CHECK_THAT(without_runtime.err, Catch::Contains("owned by uid 4242"));

    for (int listener : {in_runtime, old_default, in_directory}) {
        int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        CHECK(accepted < 0);  // no request reached a planted listener
        if (accepted >= 0) ::close(accepted);
        ::close(listener);
    }
    ::unlink("/tmp/glassvm-65534.sock");
    fs::remove_all(directory);
    fs::remove_all(scratch);
}
