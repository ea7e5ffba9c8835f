// Hostile guests (tests/guests/hostile_*.S): each does something a guest should not, and glassvm
// must end or carry on exactly as docs/RELIABILITY.md says — its documented exit status and a
// one-line reason, never a crash or a hang.
#include <catch2/catch.hpp>

#include <glassvm/abi.hpp>

#include <string>
#include <utility>

#include "base/error.hpp"
#include "process.hpp"

using namespace glassvm::test;
namespace abi = glassvm::abi;

namespace {

std::string hostile(const std::string& name) { return build_path("tests/guests/hostile_" + name + ".elf"); }

ProcessResult run_hostile(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {build_path("glassvm"), "run", hostile(name)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv);
}

// The first line of glassvm's report: the one-line reason.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

namespace {

// glassvm's peak RSS in KiB running `kernel`, from timed_run on fd 3 (sent to stderr); stdout goes
// through `reader`, a shell command. Also returns what the reader printed.
std::pair<unsigned long, ProcessResult> peak_rss_kib(const std::string& kernel, const std::string& reader) {
    std::string command = build_path("workloads/bench/timed_run") + " 3 " + build_path("glassvm") + " run " + kernel +
                          " 3>&2 | " + reader;
    auto result = run_process({"/bin/bash", "-o", "pipefail", "-c", command});
    // timed_run's line: "wall_ns=W maxrss_kib=R status=S"
    size_t at = result.err.find("maxrss_kib=");
    if (at == std::string::npos || result.err.find(" status=0", at) == std::string::npos) return {0, result};
    return {std::stoul(result.err.substr(at + 11)), result};
}

}  // namespace

TEST_CASE("a serial flood reaches a slow stdout whole, with bounded memory", "[kvm][hostile]") {
    require_kvm();
    // The reader sleeps first, so the 64 KiB pipe fills and glassvm's writes must wait rather than
    // pile up: glassvm's peak RSS must stay within a few MiB of a guest that prints three lines
    // (a relative bound, so it holds for sanitizer builds too).
    auto [baseline, quiet] = peak_rss_kib(hostile("uart_divisor"), "cat");
    INFO(quiet.err);
    REQUIRE(baseline > 0);
    auto [flood_rss, result] = peak_rss_kib(hostile("serial_flood"), "(sleep 1; cat)");
    INFO(result.err);
    REQUIRE(result.exit_status == 0);
    std::string line = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!\n";
    std::string expected;
    for (int i = 0; i < 64 * 25; ++i) expected += line;
    CHECK(result.out.size() == expected.size());
    CHECK(result.out == expected);
    REQUIRE(flood_rss > 0);
    CHECK(flood_rss < baseline + 4 * 1024);  // 100 KiB went through; nothing close to it stays
}

TEST_CASE("hammering unmapped ports and MMIO reads all ones and goes on", "[kvm][hostile]") {
    require_kvm();
    auto quiet = run_hostile("unmapped_hammer");
    INFO(quiet.err);
    CHECK(quiet.exit_status == 0);  // the guest checked every read gave all ones
    CHECK(quiet.err.empty());

    auto counted = run_hostile("unmapped_hammer", {"--verbose"});
    CHECK(counted.exit_status == 0);
    CHECK_THAT(counted.err, Catch::Contains("unmapped port accesses: 4078 reads, 4078 writes"));
    CHECK_THAT(counted.err, Catch::Contains("unmapped mmio accesses: 1004 reads, 1004 writes"));
}

TEST_CASE("memory beyond the end of RAM reads all ones and drops writes", "[kvm][hostile]") {
    require_kvm();
    auto result = run_hostile("beyond_ram", {"--mem", "16M"});
    INFO(result.err);
    CHECK(result.exit_status == 42);  // the guest saw all ones there, RAM below, and both halves
}

TEST_CASE("jumping into the MMIO hole ends the VM as an emulation failure", "[kvm][hostile]") {
    require_kvm();
    auto result = run_hostile("jump_mmio");
    INFO(result.err);
    CHECK(result.exit_status == glassvm::kExitEmulationFailure);
    CHECK_THAT(first_line(result.err), Catch::Contains("rip=0xd0000000") && Catch::Contains("outside RAM"));
}

TEST_CASE("garbage in CR4 or EFER is a guest triple fault, reported", "[kvm][hostile]") {
    require_kvm();
    for (std::string name : {"control_registers", "msr"}) {
        auto result = run_hostile(name);
        INFO(name << ": " << result.err);
        CHECK(result.exit_status == glassvm::kExitTripleFault);
        CHECK_THAT(first_line(result.err), Catch::StartsWith("glassvm: triple fault"));
    }
}

TEST_CASE("nonsense UART divisors and line control do not stop the output", "[kvm][hostile]") {
    require_kvm();
    auto result = run_hostile("uart_divisor");
    INFO(result.err);
    CHECK(result.exit_status == 0);
    CHECK(result.out == "divisor 0:   ok\ndivisor ffff ok\nlcr 0xff:    ok\n");
}

TEST_CASE("every value written to the exit port becomes glassvm's status", "[kvm][hostile]") {
    require_kvm();
    for (int value = 0; value < 256; ++value) {
        auto result = run_hostile("exit_value", {"--cmdline", std::to_string(value)});
        INFO("value " << value << ": " << result.err);
        REQUIRE(result.exit_status == value);
    }
    // Wider writes: only the low byte counts.
    CHECK(run_hostile("exit_value", {"--cmdline", "300 w"}).exit_status == (300 & 0xff));
    CHECK(run_hostile("exit_value", {"--cmdline", "65799 l"}).exit_status == (65799 & 0xff));
}

TEST_CASE("an instruction the host cannot run ends the VM naming it", "[kvm][hostile]") {
    require_kvm();
    auto result = run_hostile("cmpxchg16b");
    INFO(result.err);
    if (result.exit_status == 0) {
        WARN("this host's CPU ran lock cmpxchg16b in the guest natively (real VT-x/AMD-V)");
        SUCCEED();
        return;
    }
    // Nested KVM here runs ring 0 in KVM's instruction emulator, which lacks cmpxchg16b.
    CHECK(result.exit_status == glassvm::kExitEmulationFailure);
    CHECK_THAT(first_line(result.err), Catch::Contains("emulation failure at rip 0x10000f: lock cmpxchg16b"));
}
