// Load and hygiene (issue 7), the container side: 500 boxes started and ended, a few at a time,
// leave no cgroup, mount, namespace or process behind.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_box_support.hpp"

using namespace glassvm::test;
namespace fs = std::filesystem;

namespace {

bool is_pid(const std::string& name) {
    return !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
}

std::string read_text(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// Every process's namespaces ("mnt:[4026531841]" …), with the processes holding each.
std::map<std::string, std::vector<int>> namespaces_in_use() {
    std::map<std::string, std::vector<int>> holders;
    std::error_code error;
    for (const auto& process : fs::directory_iterator("/proc", error)) {
        std::string name = process.path().filename();
        if (!is_pid(name)) continue;
        for (const auto& entry : fs::directory_iterator(process.path() / "ns", error)) {
            std::error_code link_error;
            fs::path target = fs::read_symlink(entry.path(), link_error);
            if (!link_error) holders[target.string()].push_back(std::stoi(name));
        }
    }
    return holders;
}

// PIDs of processes whose command line contains `marker`.
std::vector<int> processes_with(const std::string& marker) {
    std::vector<int> found;
    std::error_code error;
    for (const auto& process : fs::directory_iterator("/proc", error)) {
        std::string name = process.path().filename();
        if (is_pid(name) && read_text(process.path() / "cmdline").find(marker) != std::string::npos)
            found.push_back(std::stoi(name));
    }
    return found;
}

// The glassvm-box-PID cgroup directories in every tree (v1 controllers and the unified one).
std::set<std::string> box_cgroups() {
    std::set<std::string> found;
    std::error_code error;
    fs::recursive_directory_iterator it("/sys/fs/cgroup", fs::directory_options::skip_permission_denied, error), end;
    for (; !error && it != end; it.increment(error)) {
        if (it.depth() > 4) it.disable_recursion_pending();
        if (it->path().filename().string().rfind("glassvm-box-", 0) == 0) found.insert(it->path().string());
    }
    return found;
}

// Starts `glassvm box run -- sh -c 'exit 0' MARKER` with its output discarded.
pid_t start_box(const std::string& marker) {
    std::vector<std::string> argv = {build_path("glassvm"),
                                     "box",
                                     "run",
                                     "--rootfs",
                                     box_rootfs(),
                                     "--memory",
                                     "32M",
                                     "--pids",
                                     "20",
                                     "--",
                                     "sh",
                                     "-c",
                                     "exit 0",
                                     marker};
    return start_quietly(argv);
}

int wait_for(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void churn_boxes(int count) {
    require_root();
    box_rootfs();  // made once, before the clock starts
    std::string marker = "box-churn-" + std::to_string(::getpid());
    std::string mounts_before = host_mountinfo();
    auto namespaces_before = namespaces_in_use();
    constexpr int kAtOnce = 4;
    std::vector<pid_t> glassvm_pids;
    int failures = 0;
    auto start = std::chrono::steady_clock::now();
    for (int done = 0; done < count; done += kAtOnce) {
        std::vector<pid_t> batch;
        for (int i = done; i < std::min(count, done + kAtOnce); ++i) batch.push_back(start_box(marker));
        for (pid_t pid : batch) failures += wait_for(pid) != 0;
        glassvm_pids.insert(glassvm_pids.end(), batch.begin(), batch.end());
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN(count << " boxes in " << seconds << " s: " << count / seconds << " boxes/s");
    CHECK(failures == 0);

    // No process of any box, nor a glassvm, is left (their command lines carry the marker).
    CHECK(processes_with(marker).empty());
    // Mounts lived in the boxes' own mount namespaces.
    CHECK(host_mountinfo() == mounts_before);
    // Every cgroup a box had is gone (glassvm-box-<glassvm's pid>, in every tree).
    std::set<std::string> cgroups = box_cgroups();
    for (pid_t pid : glassvm_pids) {
        for (const std::string& path : cgroups) {
            INFO(path);
            CHECK_FALSE(path.ends_with("/glassvm-box-" + std::to_string(pid)));
        }
    }
    // No namespace is left that was not there before — except those of unrelated processes
    // (other tests on this host make VMs and boxes meanwhile): a namespace that outlived its box
    // would be held by a process of ours, and none is left, or by a mount, and none changed.
    for (const auto& [space, holders] : namespaces_in_use()) {
        if (namespaces_before.count(space)) continue;
        for (int pid : holders) {
            INFO(space << " held by pid " << pid << ": " << read_text("/proc/" + std::to_string(pid) + "/cmdline"));
            CHECK(read_text("/proc/" + std::to_string(pid) + "/cmdline").find(marker) == std::string::npos);
        }
    }
}

}  // namespace

TEST_CASE("load: 500 boxes started and ended leave no cgroup or mount or namespace or process", "[load][box]") {
#if defined(__SANITIZE_ADDRESS__)
    // Under ASan each box starts ~9x slower (0.62 s against 0.07 s on the AMD development VM):
    // 500 ran past the test's 120 s there. 100 still churn every mechanism.
    WARN("sanitizer build: 100 boxes, not 500");
    churn_boxes(100);
#else
    churn_boxes(500);
#endif
}
