// Interrupts and time on the real guest: the LAPIC timer keeps time (a guest sleep lasts as long
// on the host), preempts ring 3 (two tasks' lines interleave), and serial input arrives by
// interrupt (the console shell answers through a pipe). Also: HLT with interrupts off still ends
// the VM with the in-kernel interrupt controller, which runs HLT itself.
#include <catch2/catch.hpp>

#include <sstream>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "process.hpp"
#include "text_pattern.hpp"

using namespace glassvm::test;
using namespace std::chrono_literals;
namespace abi = glassvm::abi;

namespace {

ProcessResult run_probe(const std::string& arguments) {
    return run_process({build_path("glassvm"), "run", "--init", build_path("workloads/probe"), "--cmdline",
                        "-- " + arguments, "--timeout", "30"});
}

ProcessResult run_shell(const std::string& input) {
    return run_process({build_path("glassvm"), "run", "--cmdline", "shell", "--init", build_path("workloads/probe"),
                        "--timeout", "30"},
                       input);
}

uint64_t number(const std::string& text, const std::string& key) {
    std::string value = value_of(text, key);
    REQUIRE_FALSE(value.empty());
    return std::stoull(value);
}

// The `ticks N` answers in the shell's output, in order.
std::vector<uint64_t> ticks_answers(const std::string& out) {
    std::vector<uint64_t> answers;
    for (const Captures& match : search_all(out, "ticks {d} (100 Hz)")) answers.push_back(std::stoull(match[0]));
    return answers;
}

}  // namespace

TEST_CASE("a 200 ms guest sleep takes 200 ms of guest and of host time", "[kvm][interrupts]") {
    require_kvm();
    // Three rounds of each, interleaved; the fastest of each kind is the one a busy host (the KVM
    // lab's emulated CPU, a loaded CI machine) delayed least.
    ProcessResult quick, slept;
    for (int round = 0; round < 3; ++round) {
        auto one_quick = run_probe("10");
        auto one_slept = run_probe("10 sleep_ms=200");
        REQUIRE(one_quick.exit_status == 0);
        REQUIRE(one_slept.exit_status == 0);
        if (round == 0 || one_quick.elapsed < quick.elapsed) quick = one_quick;
        if (round == 0 || one_slept.elapsed < slept.elapsed) slept = one_slept;
    }
    INFO(slept.out << slept.err);
    // The guest's own clock: 200 ms +- 20 % (the kernel wakes sleepers on 10 ms ticks).
    uint64_t guest_ns = number(slept.out, "slept_ns");
    CHECK(guest_ns >= 160'000'000);
    CHECK(guest_ns <= 240'000'000);
    CHECK(number(slept.out, "monotonic_after_ns") - number(slept.out, "monotonic_before_ns") == guest_ns);
    // The host's clock: the run with the sleep is longer by about 200 ms. Boot times vary on a
    // busy host, so the lower bound is firm and the upper one generous.
    auto extra = slept.elapsed - quick.elapsed;
    INFO("host: " << quick.elapsed.count() << " ms without, " << slept.elapsed.count() << " ms with the sleep");
    CHECK(slept.elapsed >= 160ms);
    CHECK(extra >= 100ms);
    CHECK(extra <= 800ms);
}

TEST_CASE("two tasks of the same program print interleaved: the timer preempts", "[kvm][interrupts]") {
    require_kvm();
    auto result = run_process({build_path("glassvm"), "run", "--init", build_path("tests/guests/init_ticker.elf"),
                               "--cmdline", "tasks=2 -- 20", "--timeout", "30"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    std::vector<int> pids;
    int next_line[3] = {0, 1, 1};
    std::istringstream lines(result.out);
    for (std::string text; std::getline(lines, text);) {
        auto match = match_whole(text, "pid={d} line={d}");
        if (!match) continue;
        int pid = std::stoi((*match)[0]);
        REQUIRE((pid == 1 || pid == 2));
        CHECK(std::stoi((*match)[1]) == next_line[pid]++);  // each task's own lines in order
        pids.push_back(pid);
    }
    CHECK(next_line[1] == 21);
    CHECK(next_line[2] == 21);
    size_t switches = 0;
    for (size_t i = 1; i < pids.size(); ++i) switches += pids[i] != pids[i - 1];
    CHECK(switches >= 3);  // neither ran to the end before the other started, nor took turns once
}

TEST_CASE("the VM's status is task 1's, and a faulting task kills only itself", "[kvm][interrupts]") {
    require_kvm();
    auto result = run_process({build_path("glassvm"), "run", "--init", build_path("tests/guests/init_segv.elf"),
                               "--cmdline", "tasks=2", "--timeout", "30"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == abi::kStatusSignalBase + abi::kSignalSegv);
    CHECK_THAT(result.out, Catch::Contains("pid 1 killed") && Catch::Contains("pid 2 killed"));
}

TEST_CASE("the console shell answers each command through a pipe", "[kvm][interrupts]") {
    require_kvm();
    auto result = run_shell("help\nuname\nuptime\nticks\nfrobnicate\nrun probe 10 sleep_ms=100\nticks\npoweroff\n");
    INFO(result.out << result.err);
    CHECK(result.exit_status == 0);  // poweroff
    CHECK_THAT(result.out, Catch::Contains("glassvm> help\ncommands: help, uname, uptime, ticks"));
    CHECK_THAT(result.out, Catch::Contains("glassvm> uname\nglassvm " GLASSVM_VERSION " x86_64"));
    auto uptime = search_first(result.out, "glassvm> uptime\nup {d}.{d} s");
    REQUIRE(uptime);
    CHECK((*uptime)[1].size() == 3);  // milliseconds
    CHECK_THAT(result.out, Catch::Contains("unknown command: frobnicate"));
    CHECK(value_of(result.out, "pid") == "2");
    CHECK(value_of(result.out, "ppid") == "1");
    CHECK_THAT(result.out, Catch::Contains("[probe exited with status 0]"));
    CHECK_THAT(result.out, Catch::Contains("glassvm> poweroff\npowering off"));
    std::vector<uint64_t> ticks = ticks_answers(result.out);
    REQUIRE(ticks.size() == 2);
    // The probe slept 100 ms: 10 ticks at 100 Hz on an idle host. A busy one delivers a periodic
    // timer's late ticks merged (4 and 7 were seen in the KVM lab's emulated CPU): the clock must
    // have moved, the rate is the 200 ms sleep test's business.
    CHECK(ticks[1] > ticks[0]);
    CHECK(ticks[1] <= ticks[0] + 100);
}

TEST_CASE("the shell's line editing: backspace erases, CR LF ends one line", "[kvm][interrupts]") {
    require_kvm();
    auto result = run_shell(
        "unamx\x7f"
        "e\r\npoweroff\r\n");
    INFO(result.out << result.err);
    CHECK(result.exit_status == 0);
    CHECK_THAT(result.out, Catch::Contains("unamx\b \be\nglassvm " GLASSVM_VERSION));
    CHECK_FALSE(Catch::Contains("unknown command").match(result.out));
}

TEST_CASE("HLT with interrupts off ends the VM though KVM runs HLT itself", "[kvm][interrupts]") {
    require_kvm();
    auto result = run_process({build_path("glassvm"), "run", build_path("tests/guests/halt.elf")});
    INFO(result.err);
    CHECK(result.exit_status == glassvm::kExitGuestHalted);
    CHECK_THAT(result.err, Catch::Contains("halted with nothing to wake it (HLT) on vCPU 0"));
    CHECK(result.elapsed < 5s);
}
