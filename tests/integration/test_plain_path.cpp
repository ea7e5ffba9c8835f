// The plain exit path (`glassvm run --plain`, vmm/run/fast_paths.hpp): every fast path off, the
// guest sees the same machine and says the same things, and its serial bytes really take the
// exit path (KVM_EXIT_IO → ExitHandler → IoBus → Serial16550 → the host fd).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "process.hpp"

using namespace glassvm::test;

namespace {

ProcessResult run_glassvm(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {build_path("glassvm"), "run"});
    return run_process(arguments);
}

// The N in a "PREFIX N" line of glassvm's --verbose report; -1 when there is no such line.
long reported_count(const std::string& err, const std::string& prefix) {
    size_t at = err.find(prefix);
    if (at == std::string::npos) return -1;
    return std::stol(err.substr(at + prefix.size()));
}

// The guest's output without the one thing that differs from run to run: how long its APs took
// to come online ("smp: 1 of 1 APs online in 948 us"). No std::regex: GCC 12 warns inside
// <regex> under -fsanitize, and -Werror fails the sanitized build (text_pattern.hpp says more).
std::string without_timings(std::string out) {
    const std::string marker = "online in ";
    for (size_t at = out.find(marker); at != std::string::npos; at = out.find(marker, at + 1)) {
        size_t digits = at + marker.size(), end = digits;
        while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
        if (end > digits && out.compare(end, 3, " us") == 0) out.replace(digits, end - digits, "N");
    }
    return out;
}

}  // namespace

TEST_CASE("plain: --plain gives the same output and exit status as the fast paths", "[kvm][plain]") {
    require_kvm();
    struct Run {
        std::vector<std::string> arguments;
        int status;  // what both must end with
    };
    const std::vector<Run> runs = {
        {{}, 0},                                                                    // the bundled guest's banner
        {{"--cpus", "2", "--init", build_path("tests/guests/init_exit.elf")}, 33},  // an init program, SMP
        {{build_path("tests/guests/serial_interrupt_toggle.elf")}, 0},              // queueing off and on again
        {{build_path("tests/guests/exit_status.elf")}, 7},                          // the guest's own status
        {{build_path("tests/guests/hostile_serial_flood.elf")}, 0},                 // 100 KiB by rep outsb
        {{"--timeout", "0.5", build_path("tests/guests/spin.elf")}, 124},           // a timeout
    };
    for (const Run& run : runs) {
        std::vector<std::string> plain_arguments = run.arguments;
        plain_arguments.insert(plain_arguments.begin(), "--plain");
        ProcessResult fast = run_glassvm(run.arguments);
        ProcessResult plain = run_glassvm(plain_arguments);
        INFO("arguments: " << (run.arguments.empty() ? std::string("(none)") : run.arguments.back()));
        INFO("fast stderr: " << fast.err);
        INFO("plain stderr: " << plain.err);
        CHECK(fast.exit_status == run.status);
        CHECK(plain.exit_status == run.status);
        CHECK(without_timings(fast.out) == without_timings(plain.out));
    }
}

TEST_CASE("plain: with --plain every serial write is a port-I/O exit, none is queued", "[kvm][plain]") {
    require_kvm();
    ProcessResult fast = run_glassvm({"--verbose"});
    ProcessResult plain = run_glassvm({"--plain", "--verbose"});
    INFO("fast stderr: " << fast.err);
    INFO("plain stderr: " << plain.err);
    REQUIRE(fast.exit_status == 0);
    REQUIRE(plain.exit_status == 0);
    REQUIRE(fast.out == plain.out);
    const long bytes = static_cast<long>(plain.out.size());

    // The fast run queued every byte (and the divisor latch's low byte) in KVM's ring, so its
    // port-I/O exits are the guest's LSR polls and the like: far fewer than the bytes.
    CHECK(reported_count(fast.err, "serial port 0x3f8: ") == bytes + 1);
    CHECK(reported_count(fast.err, "port I/O exits: ") < bytes);

    // The plain run queued nothing: each byte printed, and the divisor latch's low byte, was an
    // exit of its own, on top of the same polls.
    CHECK(reported_count(plain.err, "serial port 0x3f8: ") == -1);
    CHECK(reported_count(plain.err, "port I/O exits: ") >= bytes + 1 + reported_count(fast.err, "port I/O exits: "));
}
