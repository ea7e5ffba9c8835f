// The daemon tests' shared helpers: see test_daemon_support.hpp.
#include "test_daemon_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test_box_support.hpp"

namespace glassvm::test {

namespace fs = std::filesystem;
using nlohmann::json;

json HttpAnswer::json() const { return json::parse(body); }

TestDaemon::TestDaemon() {
    char pattern[] = "/tmp/glassvmd-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    m_directory = pattern;
    m_socket = m_directory + "/api.sock";
    m_root = m_directory + "/root";
    start();
}

TestDaemon::~TestDaemon() {
    try {
        HttpAnswer list = get("/instances");
        if (list.status == 200)
            for (const auto& instance : list.json())
                remove("/instances/" + instance["id"].get<std::string>() + "?force=1");
    } catch (...) {}
    if (m_pid > 0) {
        ::kill(m_pid, SIGTERM);
        ::waitpid(m_pid, nullptr, 0);
    }
    std::error_code ignored;
    fs::remove_all(m_directory, ignored);
}

void TestDaemon::start() {
    std::string program = build_path("glassvmd");
    m_pid = ::fork();
    if (m_pid == 0) {
        const char* argv[] = {program.c_str(), "--socket", m_socket.c_str(), "--root", m_root.c_str(), nullptr};
        ::execv(argv[0], const_cast<char* const*>(argv));
        ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (get("/info").status != 200) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("glassvmd did not answer on " + m_socket);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void TestDaemon::kill_hard() {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
}

HttpAnswer TestDaemon::request(const std::string& method, const std::string& path, const std::string& body,
                               const std::vector<std::string>& extra) const {
    std::vector<std::string> argv = {"curl", "-s", "--unix-socket", m_socket, "-X", method, "-w", "\n%{http_code}"};
    bool has_data = std::find(extra.begin(), extra.end(), "--data-binary") != extra.end();
    if (method != "GET" && !has_data) argv.insert(argv.end(), {"--data-binary", body});  // a Content-Length, even of 0
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("http://glassvm" + path);
    ProcessResult result = run_process(argv, {}, std::chrono::seconds(60));
    size_t newline = result.out.rfind('\n');
    HttpAnswer answer;
    if (newline == std::string::npos) return answer;
    answer.status = std::atoi(result.out.c_str() + newline + 1);
    answer.body = result.out.substr(0, newline);
    return answer;
}

std::string TestDaemon::import_busybox(const std::string& name) {
    std::string tar = m_directory + "/" + name + ".tar";
    ProcessResult made = run_process({"tar", "-C", box_rootfs(), "-cf", tar, "."});
    REQUIRE(made.exit_status == 0);
    std::string config = "%7B%22command%22%3A%5B%22%2Fprobe%22%2C%2210%22%5D%7D";  // {"command":["/probe","10"]}
    HttpAnswer answer = request("POST", "/images/import?name=" + name + "&config=" + config, "",
                                {"--data-binary", "@" + tar, "-H", "Content-Type: application/x-tar"});
    INFO(answer.body);
    REQUIRE(answer.status == 201);
    return answer.json()["id"];
}

json TestDaemon::shim_record(const std::string& id) const {
    auto text = run_process({"cat", instance_directory(id) + "/shim.json"});
    REQUIRE(text.exit_status == 0);
    return json::parse(text.out);
}

std::string TestDaemon::create(const json& body) const {
    HttpAnswer answer = post("/instances", body.dump());
    INFO(answer.body);
    REQUIRE(answer.status == 201);
    return answer.json()["id"];
}

}  // namespace glassvm::test

namespace glassvm::test {

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// (state, parent) from /proc/PID/stat, after the comm field (which may hold spaces).
std::optional<std::pair<char, pid_t>> stat_of(pid_t pid) {
    std::string line = read_file("/proc/" + std::to_string(pid) + "/stat");
    size_t close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    char state = 0;
    pid_t parent = 0;
    if (!(fields >> state >> parent)) return std::nullopt;
    return std::make_pair(state, parent);
}

}  // namespace

bool process_runs(pid_t pid) {
    auto stat = stat_of(pid);
    return stat && stat->first != 'Z' && stat->first != 'X';
}

std::vector<pid_t> descendants(pid_t ancestor) {
    std::map<pid_t, pid_t> parents;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        pid_t pid = std::atoi(entry.path().filename().c_str());
        if (pid <= 0) continue;
        if (auto stat = stat_of(pid)) parents[pid] = stat->second;
    }
    std::vector<pid_t> found;
    for (const auto& [pid, parent] : parents) {
        for (pid_t up = parent; up > 1; up = parents.contains(up) ? parents.at(up) : 0) {
            if (up != ancestor) continue;
            found.push_back(pid);
            break;
        }
    }
    return found;
}

std::string process_name(pid_t pid) {
    std::string name = read_file("/proc/" + std::to_string(pid) + "/comm");
    if (!name.empty() && name.back() == '\n') name.pop_back();
    return name;
}

pid_t wait_for_descendant(pid_t pid, const std::string& name, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
        for (pid_t child : descendants(pid))
            if (process_name(child) == name) return child;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return 0;
}

std::vector<std::string> cgroup_directories_named(const std::string& name) {
    std::vector<std::string> found;
    std::error_code error;
    fs::recursive_directory_iterator it("/sys/fs/cgroup", fs::directory_options::skip_permission_denied, error), end;
    for (; !error && it != end; it.increment(error)) {
        if (it.depth() > 6) it.disable_recursion_pending();
        if (it->path().filename() == name && fs::exists(it->path() / "cgroup.procs"))
            found.push_back(it->path().string());
    }
    return found;
}

ProcessResult run_as_nobody(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                            std::chrono::milliseconds timeout) {
    std::vector<std::string> command = {"env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    command.insert(command.end(), environment.begin(), environment.end());
    // setpriv keeps root's capabilities until its own execve (PR_SET_KEEPCAPS), so that execve
    // would still find `argv[0]` through directories nobody may search: a shell started as
    // nobody, with no capabilities left, executes it instead.
    command.insert(command.end(),
                   {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", "exec \"$@\"", "sh"});
    command.insert(command.end(), argv.begin(), argv.end());
    return run_process(command, {}, timeout);
}

}  // namespace glassvm::test
