// Serial output through KVM's coalesced ring (vmm/run/coalesced_writes.hpp): the guest's THR
// writes are queued without exits and performed later, in order; nothing is lost or reordered,
// output appears even while the guest makes no exit at all, and watched runs still see every
// write as an exit of its own.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "process.hpp"

using namespace glassvm::test;

namespace {

// The N in "serial port 0x3f8: N writes queued by KVM (coalesced), not exits".
long queued_writes(const std::string& err) {
    const std::string marker = "serial port 0x3f8: ";
    size_t at = err.find(marker);
    if (at == std::string::npos) return -1;
    return std::stol(err.substr(at + marker.size()));
}

}  // namespace

TEST_CASE("the guest's serial output is queued by KVM, and arrives whole and in order", "[kvm][coalesced]") {
    require_kvm();
    auto plain = run_process({build_path("glassvm"), "run"});
    auto verbose = run_process({build_path("glassvm"), "run", "--verbose"});
    INFO(verbose.err);
    REQUIRE(plain.exit_status == 0);
    REQUIRE(verbose.exit_status == 0);
    CHECK(verbose.out == plain.out);
    CHECK_THAT(plain.out, Catch::StartsWith("glassvm-guest 0.1.0 (x86_64) booting\ncmdline: \ncpus=1\n"));
    CHECK_THAT(plain.out, Catch::EndsWith("glassvm-guest: no init program (pass one with --init)\n"));
    // Every byte printed, and the divisor latch's low byte serial_init writes to the same port
    // (LCR.DLAB = 1), went through the ring: none was an exit.
    CHECK(queued_writes(verbose.err) == static_cast<long>(plain.out.size()) + 1);
}

TEST_CASE("queued output reaches stdout while the guest runs without exits", "[kvm][coalesced]") {
    require_kvm();
    // No --timeout: the guest spins until the test kills glassvm (SIGKILL), so the line cannot
    // come from the replay at the end of a run, only from the main thread's while it runs.
    auto result = run_process({build_path("glassvm"), "run", build_path("tests/guests/serial_then_spin.elf")}, {},
                              std::chrono::milliseconds(1500));
    INFO(result.err);
    CHECK(result.timed_out);
    CHECK(result.out == "queued output reaches stdout while the guest spins\n");

    auto ended = run_process(
        {build_path("glassvm"), "run", "--timeout", "1", "--verbose", build_path("tests/guests/serial_then_spin.elf")});
    INFO(ended.err);
    CHECK(ended.exit_status == 124);
    CHECK(queued_writes(ended.err) == static_cast<long>(ended.out.size()));
}

TEST_CASE("a watched run sees each serial write as an exit of its own", "[kvm][coalesced]") {
    require_kvm();
    auto result = run_process({build_path("glassvm"), "run", "--trace-exits", "--verbose"});
    INFO(result.err);
    REQUIRE(result.exit_status == 0);
    const std::string thr_write = "IO out port=0x3f8";
    size_t writes = 0;
    for (size_t at = result.err.find(thr_write); at != std::string::npos; at = result.err.find(thr_write, at + 1))
        ++writes;
    CHECK(writes == result.out.size() + 1);  // each byte printed, and the divisor latch's low byte
    CHECK(queued_writes(result.err) == -1);  // nothing was queued
}

TEST_CASE("queueing stops while the guest enables the THRE interrupt, and resumes after", "[kvm][coalesced]") {
    require_kvm();
    auto result = run_process(
        {build_path("glassvm"), "run", "--verbose", build_path("tests/guests/serial_interrupt_toggle.elf")});
    INFO(result.err);
    REQUIRE(result.exit_status == 0);
    const std::string first = "first line, queued by KVM\n", third = "third line, queued again\n";
    CHECK(result.out == first + "second line, one exit a byte\n" + third);
    CHECK(queued_writes(result.err) == static_cast<long>(first.size() + third.size()));
}
