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

}  // namespace

TEST_CASE("plain: --plain gives the same output and exit status as the fast paths", "[kvm][plain]") {
    require_kvm();
    const std::vector<std::vector<std::string>> runs = {
        {},                                                                   // the bundled guest's banner
        {"--cpus", "2", "--init", build_path("tests/guests/init_exit.elf")},  // an init program, SMP
        {build_path("tests/guests/serial_interrupt_toggle.elf")},             // queueing off and on again
        {build_path("tests/guests/exit_status.elf")},                         // a non-zero status
        {build_path("tests/guests/hostile_serial_flood.elf")},                // 100 KiB by rep outsb
        {"--timeout", "0.5", build_path("tests/guests/spin.elf")},            // a timeout (124)
    };
    for (const std::vector<std::string>& arguments : runs) {
        std::vector<std::string> plain_arguments = arguments;
        plain_arguments.insert(plain_arguments.begin(), "--plain");
        ProcessResult fast = run_glassvm(arguments);
        ProcessResult plain = run_glassvm(plain_arguments);
        INFO("arguments: " << (arguments.empty() ? std::string("(none)") : arguments.back()));
        INFO("fast stderr: " << fast.err);
        INFO("plain stderr: " << plain.err);
        CHECK(fast.exit_status == plain.exit_status);
        CHECK(fast.out == plain.out);
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
