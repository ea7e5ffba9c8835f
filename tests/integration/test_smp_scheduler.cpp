// Several CPUs and the scheduler together: each CPU's own APIC timer wakes sleepers and preempts
// the tasks pinned to it (sleep and time slices on an application processor), the clock's ticks
// advance with any number of CPUs, the shell runs on CPU 0, and a guest whose CPUs all halt with
// interrupts off ends the VM (status 118), whether its APs were started or never were.
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

ProcessResult run_glassvm(std::vector<std::string> arguments, const std::string& input = {}) {
    std::vector<std::string> argv = {build_path("glassvm"), "run", "--timeout", "30"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return run_process(argv, input);
}

// How often consecutive `pid=P line=N` lines come from different tasks; every task's lines must
// come in order and all `lines` of each must be there.
size_t task_switches(const std::string& out, int tasks, int lines) {
    std::vector<int> next(tasks + 1, 1), pids;
    std::istringstream stream(out);
    for (std::string text; std::getline(stream, text);) {
        auto match = match_whole(text, "pid={d} line={d}");
        if (!match) continue;
        int pid = std::stoi((*match)[0]);
        REQUIRE((pid >= 1 && pid <= tasks));
        CHECK(std::stoi((*match)[1]) == next[pid]++);
        pids.push_back(pid);
    }
    for (int pid = 1; pid <= tasks; ++pid) CHECK(next[pid] == lines + 1);
    size_t switches = 0;
    for (size_t i = 1; i < pids.size(); ++i) switches += pids[i] != pids[i - 1];
    return switches;
}

}  // namespace

TEST_CASE("smp scheduler: a 200 ms sleep on an application processor takes 200 ms", "[kvm][smp][interrupts]") {
    require_kvm();
    // A sleep never ends early; it ends on the AP's first own tick after its deadline, so within
    // 20 %. On this 2-CPU development host other work can delay a vCPU thread's wake-up by tens of
    // milliseconds, so the upper bound must hold for the best of up to three runs.
    uint64_t best = UINT64_MAX;
    for (int attempt = 0; attempt < 3 && best > 240'000'000; ++attempt) {
        auto result = run_glassvm(
            {"--cpus", "2", "--init", build_path("workloads/probe"), "--cmdline", "initcpu=1 -- 10 sleep_ms=200"});
        INFO(result.out << result.err);
        REQUIRE(result.exit_status == 0);
        CHECK(value_of(result.out, "cpu") == "1");
        uint64_t slept = std::stoull(value_of(result.out, "slept_ns"));
        CHECK(slept >= 200'000'000);
        CHECK(result.elapsed >= 200ms);
        best = std::min(best, slept);
    }
    CHECK(best <= 240'000'000);
}

TEST_CASE("smp scheduler: two tasks interleave on CPU 0 and on an AP", "[kvm][smp][interrupts]") {
    require_kvm();
    // 20 lines of ~6 ms each per task (8,000,000 spins): ~24 ticks in all, so that switches
    // are seen even when this 2-CPU development host, busy with other work, delays some ticks
    // (a vCPU thread that waits for a host CPU gets its missed periodic ticks as one).
    for (std::string where : {"initcpu=0", "initcpu=1"}) {
        auto result = run_glassvm({"--cpus", "2", "--init", build_path("tests/guests/init_ticker.elf"), "--cmdline",
                                   where + " tasks=2 -- 20 8000000"});
        INFO(where << "\n" << result.out << result.err);
        REQUIRE(result.exit_status == 0);
        CHECK(task_switches(result.out, 2, 20) >= 3);  // the AP's own timer preempts too
    }
}

TEST_CASE("smp scheduler: ticks advance with four CPUs, the shell on CPU 0", "[kvm][smp][interrupts]") {
    require_kvm();
    auto result = run_glassvm({"--cpus", "4", "--cmdline", "shell", "--init", build_path("workloads/probe")},
                              "ticks\nrun probe 10 sleep_ms=300\nticks\npoweroff\n");
    INFO(result.out << result.err);
    CHECK(result.exit_status == 0);
    CHECK(value_of(result.out, "cpus") == "4");
    CHECK(value_of(result.out, "cpu") == "0");  // the shell's child runs on the shell's CPU
    std::vector<uint64_t> ticks;
    for (const Captures& match : search_all(result.out, "ticks {d} (100 Hz)")) ticks.push_back(std::stoull(match[0]));
    REQUIRE(ticks.size() == 2);
    // 300 ms of sleep: ~30 ticks of CPU 0's timer, counted once, not once per CPU (that would be
    // ~120). A loaded host may delay CPU 0's wake-ups past a tick (then ticks merge; 7 were seen
    // in the KVM lab's emulated CPU under load): the lower bound only asks that the clock moved,
    // the upper one is the guest's own measure of the time that passed.
    uint64_t slept_ms = std::stoull(value_of(result.out, "slept_ns")) / 1'000'000;
    CHECK(ticks[1] > ticks[0]);
    CHECK(ticks[1] - ticks[0] <= slept_ms / 10 + 10);
}

TEST_CASE("smp scheduler: every CPU halted with interrupts off ends the VM", "[kvm][smp][interrupts]") {
    require_kvm();
    for (std::string cpus : {"1", "2", "4"}) {
        // The guest kernel starts every AP, then each CPU stops its timer and halts with IF = 0.
        auto all = run_glassvm({"--cpus", cpus, "--cmdline", "haltall"});
        INFO("--cpus " << cpus << " haltall\n" << all.out << all.err);
        CHECK(all.exit_status == glassvm::kExitGuestHalted);
        CHECK(value_of(all.out, "cpus") == cpus);
        CHECK_THAT(all.err, Catch::Contains("halted with nothing to wake it (HLT)"));
        CHECK(all.elapsed < 5s);

        // halt.elf starts no AP: the APs wait for INIT-SIPI-SIPI, which counts as asleep.
        auto never_started = run_glassvm({build_path("tests/guests/halt.elf"), "--cpus", cpus});
        INFO("--cpus " << cpus << " halt.elf\n" << never_started.err);
        CHECK(never_started.exit_status == glassvm::kExitGuestHalted);
        CHECK(never_started.elapsed < 5s);
    }
}

TEST_CASE("smp scheduler: a CPU halted with IF = 0 ends the VM though its APIC timer still fires",
          "[kvm][smp][interrupts]") {
    require_kvm();
    for (std::string cpus : {"1", "2"}) {
        auto result = run_glassvm({build_path("tests/guests/halt_timer.elf"), "--cpus", cpus});
        INFO("--cpus " << cpus << "\n" << result.err);
        CHECK(result.exit_status == glassvm::kExitGuestHalted);
        CHECK(result.elapsed < 5s);
    }
}
