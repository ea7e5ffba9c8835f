// After the guest ends, glassvm leaves KVM's teardown of the VM to a child that holds only the
// VM's descriptors (vmm/run/background_release.hpp): the child must hold no stdout or stderr, and
// it must be gone soon after glassvm has exited.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

using namespace glassvm::test;

namespace {

// PIDs of processes whose command line contains `marker`.
std::vector<int> processes_with(const std::string& marker) {
    std::vector<int> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream file(entry.path() / "cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        if (cmdline.find(marker) != std::string::npos) found.push_back(std::stoi(name));
    }
    return found;
}

}  // namespace

TEST_CASE("the VM is released by a short-lived child that holds no output", "[kvm][release]") {
    require_kvm();
    std::string marker = "release-marker-" + std::to_string(::getpid());
    auto result = run_process({build_path("glassvm"), "run", "--cmdline", marker});
    INFO(result.err);
    REQUIRE(result.exit_status == 0);
    CHECK_THAT(result.out, Catch::Contains("cmdline: " + marker));  // and stdout reached EOF

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::vector<int> left = processes_with(marker);
    for (int pid : left) {  // a child still releasing must not hold stdout or stderr
        std::error_code error;
        for (int fd : {0, 1, 2})
            CHECK_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd), error));
    }
    while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        left = processes_with(marker);
    }
    CHECK(left.empty());
}
