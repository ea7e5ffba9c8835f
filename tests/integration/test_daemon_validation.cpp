// Requests glassvmd must refuse at once, with a JSON message naming what is wrong, instead of
// accepting them and failing later (or never): limits and env that only `start` would have
// tripped on, names that are not names, bytes that are not UTF-8; and what an import killed
// half-way leaves in the store.
#include <signal.h>
#include <sys/stat.h>

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
namespace fs = std::filesystem;

TEST_CASE("daemon: limits, env and names that start would refuse are refused at create, naming the field", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    daemon.import_busybox();
    struct Case {
        std::string fields;  // JSON members added to {"image": "busybox"}
        std::string named;   // what the message must name
    };
    const Case cases[] = {
        {R"("limits": {"pids": -5})", "limits.pids"},       // wrapped to 4294967291
        {R"("limits": {"pids": 1e30})", "limits.pids"},     // became 0, no limit
        {R"("limits": {"pids": 4194305})", "limits.pids"},  // over the kernel's PID_MAX_LIMIT
        {R"("limits": {"cpus": 1e308})", "limits.cpus"},
        {R"("limits": {"cpus": 0.001})", "limits.cpus"},
        {R"("limits": {"memory": 1})", "limits.memory"},
        {R"("limits": {"memory": ""})", "limits.memory"},
        {R"("kind": "vm", "command": ["/probe"], "limits": {"memory": 1})", "limits.memory"},
        {R"("kind": "vm", "command": ["/probe"], "limits": {"cpus": 1e308})", "limits.cpus"},
        {R"("env": ["=x"])", "env"},
        {R"("env": ["NOVALUE"])", "env"},
        {R"("env": ["A=two\nlines"])", "env"},
        {R"("name": ".")", "name"},
        {R"("name": "..")", "name"},
        {R"("name": "-x")", "name"},
        {R"("kind": "vm", "command": ["/probe"], "accel": "bogus")", "accel: 'bogus' is not an accelerator"},
        {R"("kind": "vm", "command": ["/probe"], "accel": 1)", "accel: 1 is not an accelerator"},
        {R"("accel": "kvm")", "accel: a box runs on the host's kernel"},
    };
    for (const Case& bad : cases) {
        std::string body = R"({"image": "busybox", )" + bad.fields + "}";
        auto answer = daemon.post("/instances", body);
        INFO(body << " → " << answer.status << " " << answer.body);
        CHECK(answer.status == 400);
        CHECK_THAT(answer.json().value("message", ""), Catch::Contains(bad.named));
    }
    CHECK(daemon.get("/instances").json() == json::array());  // none of them was created
    // What is fine still is.
    std::string fine = daemon.create({{"image", "busybox"},
                                      {"name", "a.b-c_1"},
                                      {"env", {"A=", "B=x=y"}},
                                      {"limits", {{"pids", 1}, {"cpus", 0.5}, {"memory", "4M"}}}});
    CHECK(daemon.remove("/instances/" + fine).status == 204);
}

TEST_CASE("daemon: a path that is not UTF-8 answers a JSON error, never the exception's text", "[daemon]") {
    TestDaemon daemon;
    for (const char* path : {"/images/%FF%FE", "/instances/%C3%28", "/images/a%80b"}) {
        auto answer = glassvm::test::run_process(
            {"curl", "-s", "-i", "--unix-socket", daemon.socket(), std::string("http://glassvm") + path});
        INFO(path << " → " << answer.out);
        CHECK((answer.out.starts_with("HTTP/1.1 404") || answer.out.starts_with("HTTP/1.1 400")));
        CHECK(answer.out.find("EXCEPTION_WHAT") == std::string::npos);
        size_t body = answer.out.find("\r\n\r\n");
        REQUIRE(body != std::string::npos);
        CHECK(json::parse(answer.out.substr(body + 4)).contains("message"));
    }
    CHECK(daemon.get("/info").status == 200);
}

TEST_CASE("daemon: an import's temporary tar is private and one a killed daemon left is removed at start", "[daemon]") {
    glassvm::test::require_root();
    TestDaemon daemon;
    // A tar big enough (128 MiB) for the import to take a moment.
    std::string content = daemon.directory() + "/content";
    fs::create_directories(content);
    REQUIRE(glassvm::test::run_process({"truncate", "-s", "128M", content + "/big"}).exit_status == 0);
    std::string tar = daemon.directory() + "/big.tar";
    REQUIRE(glassvm::test::run_process({"tar", "-C", content, "-cf", tar, "."}).exit_status == 0);
    fs::remove_all(content);

    std::jthread upload([&] {
        daemon.request("POST", "/images/import?name=big", "",
                       {"--data-binary", "@" + tar, "-H", "Content-Type: application/x-tar"});
    });
    fs::path temporary = fs::path(daemon.root()) / "tmp";
    auto imports = [&] {
        std::vector<fs::path> found;
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(temporary, error))
            if (entry.path().filename().string().starts_with("import-")) found.push_back(entry.path());
        return found;
    };
    std::vector<fs::path> seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((seen = imports()).empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE_FALSE(seen.empty());  // the import is under way
    struct stat status {};
    if (::lstat(seen.front().c_str(), &status) == 0) {
        INFO(seen.front().string());
        CHECK((status.st_mode & 0777) == 0600);
    }
    daemon.kill_hard();  // mid-import
    upload.join();
    daemon.start();
    std::vector<fs::path> left = imports();
    INFO("left: " << (left.empty() ? std::string() : left.front().string()));
    CHECK(left.empty());
}
