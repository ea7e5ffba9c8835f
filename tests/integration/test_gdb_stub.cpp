// `glassvm run --gdb` with the real gdb client in batch mode, and with a raw socket for what
// gdb never sends: reading registers and memory at the kernel's entry, exit stepping with
// `monitor exits on`, detach and kill, bad packets and hang-ups, Ctrl-C. Breakpoint and
// single-step tests run only where the debug probe says this host's KVM delivers those exits,
// and otherwise skip saying so. Test guests: exit_status.elf is `movb $7,%al` (0x100000),
// `outb %al,$0xf4` (0x100002), `hlt` (0x100004); spin.elf spins with interrupts off.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <glassvm/abi.hpp>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "base/error.hpp"
#include "base/file.hpp"
#include "gdb_session.hpp"
#include "vmm/debug/gdb/debug_probe.hpp"
#include "vmm/debug/gdb/packet.hpp"
#include "vmm/loader/elf.hpp"

using namespace glassvm::test;
namespace abi = glassvm::abi;
namespace gdb = glassvm::gdb;

namespace {

std::string test_guest(const std::string& name) { return build_path("tests/guests/" + name + ".elf"); }

// What the debug probe finds on this host; the same probe glassvm runs for --gdb.
const gdb::GuestDebugSupport& host_support() {
    static const gdb::GuestDebugSupport support = gdb::probe_guest_debug();
    return support;
}

// Ends the test as skipped (ctest SKIP_RETURN_CODE 77) when the host lacks `what`.
void require_host_delivers(bool available, const char* what) {
    if (available) return;
    std::printf("SKIPPED: this host's KVM does not deliver %s (debug probe: %s)\n", what,
                host_support().summary.c_str());
    std::fflush(stdout);
    std::_Exit(77);
}

struct Entry {
    uint64_t address;
    std::vector<uint8_t> bytes;  // the first bytes there, from the ELF file
};

Entry kernel_entry(size_t count) {
    std::vector<uint8_t> file = glassvm::read_file(build_path("guest/glassvm-guest.elf"), "kernel");
    glassvm::ElfImage image = glassvm::parse_elf(file, "kernel");
    for (const auto& segment : image.segments) {
        uint64_t offset = image.entry - segment.virtual_address;  // wraps when below: then too large
        if (offset >= segment.file_size) continue;
        auto first = file.begin() + static_cast<long>(segment.file_offset + offset);
        return {image.entry, std::vector<uint8_t>(first, first + static_cast<long>(count))};
    }
    FAIL("the kernel's entry point is in no segment");
    return {};
}

// gdb's `x/Nxb` line for `bytes` at `address`: "0x100000:\t0xfc\t0x48…".
std::string examine_line(uint64_t address, const std::vector<uint8_t>& bytes) {
    std::string line = fmt::format("{:#x}:", address);
    for (uint8_t byte : bytes) line += fmt::format("\t{:#04x}", byte);
    return line;
}

std::string monitor_packet(std::string_view command) { return framed("qRcmd," + gdb::to_hex(command)); }

}  // namespace

TEST_CASE("gdb: rip and the bytes at the bundled kernel's entry match the ELF file", "[kvm][gdb]") {
    require_kvm();
    Entry entry = kernel_entry(8);
    GlassvmUnderGdb vm({});
    auto session = run_gdb(vm.port(), {"info registers rip", "x/8xb $pc", "detach"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains(fmt::format("rip            {:#x}", entry.address)));
    CHECK_THAT(session.out, Catch::Contains(examine_line(entry.address, entry.bytes)));
    CHECK_THAT(session.out, Catch::Contains("[Inferior 1 (Remote target) detached]"));
    CHECK(result.exit_status == 0);  // detached: the guest booted to its normal end
    CHECK_THAT(result.out, Catch::Contains("glassvm-guest " GLASSVM_VERSION));
    CHECK_THAT(result.err, Catch::Contains("waiting for gdb on 127.0.0.1:"));
}

TEST_CASE("gdb: monitor exits on stops continue at the guest's first port write", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("exit_status")});
    auto session = run_gdb(vm.port(), {"monitor exits on", "continue", "info registers rip rax", "continue"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("exit stepping is on"));
    CHECK_THAT(session.out, Catch::Contains("exit #1: IO out port=0xf4 size=1 data=0x7 -> exit"));
    CHECK_THAT(session.out, Catch::Contains("Program received signal SIGTRAP"));
    // The OUT is at 0x100002: rip points at it (VT-x) or just past it (our nested hosts).
    CHECK_THAT(session.out, Catch::Matches("[\\s\\S]*rip +0x10000[24][\\s\\S]*"));
    CHECK_THAT(session.out, Catch::Contains("rax            0x7"));
    CHECK_THAT(session.out, Catch::Contains("[Inferior 1 (Remote target) exited with code 07]"));
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb: exit stepping through the bundled guest shows the serial port exits", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({});
    auto session = run_gdb(vm.port(), {"monitor exits on", "continue", "continue", "monitor exits off", "continue"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("exit #1: IO out port=0x3f") && Catch::Contains("-> serial"));
    CHECK_THAT(session.out, Catch::Contains("exit #2: IO "));
    CHECK_THAT(session.out, Catch::Contains("exit stepping is off"));
    CHECK_THAT(session.out, Catch::Contains("[Inferior 1 (Remote target) exited normally]"));
    CHECK(result.exit_status == 0);
}

TEST_CASE("gdb: detach lets the guest finish with its own status", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("exit_status")});
    auto session = run_gdb(vm.port(), {"detach"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("detached"));
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb: writing guest memory changes what the guest does", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("exit_status")});
    // movb $7,%al is b0 07 at 0x100000: make it movb $9,%al.
    auto session = run_gdb(vm.port(), {"set {unsigned char}0x100001 = 9", "x/2xb 0x100000", "continue"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("0x100000:\t0xb0\t0x09"));
    CHECK(result.exit_status == 9);
}

TEST_CASE("gdb: writing registers changes what the guest does", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("exit_status")});
    // Skip the movb and give the OUT another status in al.
    auto session = run_gdb(vm.port(), {"set $rax = 11", "set $pc = 0x100002", "info registers rip rax", "continue"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("rip            0x100002"));
    CHECK(result.exit_status == 11);
}

TEST_CASE("gdb: kill ends the VM with status 117", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("spin")});
    auto session = run_gdb(vm.port(), {"kill"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("[Inferior 1 (Remote target) killed]"));
    CHECK(result.exit_status == glassvm::kExitStopped);
    CHECK_THAT(result.err, Catch::Contains("gdb killed the VM"));
}

TEST_CASE("gdb: monitor info help and stats answer", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({"--mem", "32M", test_guest("exit_status")});
    auto session = run_gdb(vm.port(), {"monitor info", "monitor help", "monitor exits on", "continue", "monitor stats",
                                       "monitor nonsense", "detach"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("gdb debugs vCPU 0 (thread 1); 32 MiB of guest RAM"));
    CHECK_THAT(session.out, Catch::Contains("stopped at rip=0x100000"));
    CHECK_THAT(session.out, Catch::Contains("guest-debug exits on this host: " + host_support().summary));
    CHECK_THAT(session.out, Catch::Contains("monitor exits on    stop at every VM exit"));
    CHECK_THAT(session.out, Catch::Contains("exit statistics"));
    CHECK_THAT(session.out, Catch::Contains("unknown monitor command 'nonsense'"));
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb stub: garbage, bad checksums and malformed packets leave the session working", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("exit_status")});
    RawGdbClient client(vm.port());
    client.send("hello\r\n$g#00");  // noise, then a packet with a wrong checksum
    CHECK(client.read_until("-") == "-");
    client.send("$a*#8b");  // right checksum, broken run-length encoding
    CHECK(client.read_until("-") == "-");
    client.send("$" + std::string(0x5000, 'm') + "#00");  // far over PacketSize
    CHECK(client.read_until("-") == "-");
    client.send(framed("?"));
    CHECK(client.read_until(framed("T05thread:01;")) == "+" + framed("T05thread:01;"));
    client.send("+" + framed("m"));  // no address
    CHECK_THAT(client.read_until(framed("E01")), Catch::EndsWith(framed("E01")));
    client.send("+" + framed("mffff800000000000,4"));  // not mapped by the guest
    CHECK_THAT(client.read_until(framed("E14")), Catch::EndsWith(framed("E14")));
    client.send("+" + framed("Z9,100000,1"));  // no such breakpoint type: unsupported
    CHECK_THAT(client.read_until(framed("")), Catch::EndsWith(framed("")));
    client.send("+" + framed("m100000,2"));  // still serving: movb $7,%al
    CHECK_THAT(client.read_until(framed("b007")), Catch::EndsWith(framed("b007")));
    client.send("+" + monitor_packet("exits on"));
    std::string on = gdb::to_hex("exit stepping is on");
    CHECK_THAT(client.read_until(on), Catch::Contains("$" + on));
    client.send("+" + framed("c"));  // an `O` line naming the exit, then the stop
    std::string named = gdb::to_hex("exit #1: IO out port=0xf4 size=1 data=0x7 -> exit\n");
    CHECK_THAT(client.read_until(framed("T05thread:01;")),
               Catch::Contains(framed("O" + named)) && Catch::EndsWith(framed("T05thread:01;")));
    client.send("+" + framed("D"));
    CHECK_THAT(client.read_until(framed("OK")), Catch::EndsWith(framed("OK")));
    auto result = vm.wait();
    INFO(result.err);
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb stub: a hang-up in the middle of a packet detaches and the guest finishes", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("exit_status")});
    RawGdbClient client(vm.port());
    client.send("+$qSupported:multipro");
    client.close();
    auto result = vm.wait();
    INFO(result.err);
    CHECK(result.exit_status == 7);
    CHECK_THAT(result.err, Catch::Contains("gdb hung up; detached, the guest runs on"));
}

TEST_CASE("gdb stub: a hang-up while the guest runs detaches it and it runs on", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({"--timeout", "2", test_guest("spin")});
    RawGdbClient client(vm.port());
    client.send(framed("c"));
    client.read_until("+");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    client.close();
    auto result = vm.wait();
    INFO(result.err);
    CHECK(result.exit_status == glassvm::kExitTimeout);  // the guest ran on until --timeout
    CHECK_THAT(result.err, Catch::Contains("gdb hung up; detached, the guest runs on"));
}

TEST_CASE("gdb stub: Ctrl-C stops a running guest with SIGINT", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({"--timeout", "30", test_guest("spin")});
    RawGdbClient client(vm.port());
    client.send(framed("c"));
    client.read_until("+");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    client.send("\x03");
    CHECK_THAT(client.read_until(framed("T02thread:01;")), Catch::EndsWith(framed("T02thread:01;")));
    client.send("+" + framed("k"));
    auto result = vm.wait();
    INFO(result.err);
    CHECK(result.exit_status == glassvm::kExitStopped);
    CHECK(result.elapsed < std::chrono::seconds(10));
}

TEST_CASE("gdb stub: the VM ending while gdb waits is reported as W with the status", "[kvm][gdb]") {
    require_kvm();
    GlassvmUnderGdb vm({test_guest("exit_status")});
    RawGdbClient client(vm.port());
    client.send(framed("c"));
    CHECK_THAT(client.read_until(framed("W07")), Catch::EndsWith(framed("W07")));
    CHECK(vm.wait().exit_status == 7);
}

TEST_CASE("gdb stub: the debug probe gives up at its deadline", "[kvm][gdb]") {
    require_kvm();
    auto started = std::chrono::steady_clock::now();
    gdb::GuestDebugSupport support = gdb::probe_guest_debug(std::chrono::milliseconds(0));
    INFO(support.summary);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    CHECK_THAT(support.summary, Catch::Contains("the probe ran out of time"));
    CHECK_FALSE(support.user_single_step);  // not tried: reported as unavailable
    CHECK_FALSE(support.software_breakpoints);
    CHECK(support.hardware_breakpoints == 0);
}

TEST_CASE("gdb: a breakpoint this host cannot set is refused and the guest still runs", "[kvm][gdb]") {
    require_kvm();
    if (host_support().software_breakpoints) {
        std::printf("SKIPPED: this host's KVM delivers int3 breakpoints, so nothing is refused\n");
        std::fflush(stdout);
        std::_Exit(77);
    }
    GlassvmUnderGdb vm({test_guest("exit_status")});
    auto session = run_gdb(vm.port(), {"break *0x100002", "continue", "delete", "detach"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("Cannot insert breakpoint 1"));
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb: a software breakpoint stops the guest at its address", "[kvm][gdb]") {
    require_kvm();
    require_host_delivers(host_support().software_breakpoints, "int3 breakpoints");
    GlassvmUnderGdb vm({test_guest("exit_status")});
    auto session = run_gdb(
        vm.port(), {"break *0x100002", "continue", "info registers rip", "x/2xb 0x100002", "delete", "continue"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("Breakpoint 1, 0x0000000000100002 in ?? ()"));
    CHECK_THAT(session.out, Catch::Contains("rip            0x100002"));
    CHECK_THAT(session.out, Catch::Contains("0x100002:\t0xe6\t0xf4"));  // the int3 is not visible
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb: a hardware breakpoint stops the guest at its address", "[kvm][gdb]") {
    require_kvm();
    require_host_delivers(host_support().hardware_breakpoints > 0, "debug-register breakpoints");
    GlassvmUnderGdb vm({test_guest("exit_status")});
    auto session = run_gdb(vm.port(), {"hbreak *0x100002", "continue", "info registers rip", "delete", "continue"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("Breakpoint 1, 0x0000000000100002 in ?? ()"));
    CHECK_THAT(session.out, Catch::Contains("rip            0x100002"));
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb: stepi moves rip one instruction and stepping the exit OUT ends the VM", "[kvm][gdb]") {
    require_kvm();
    require_host_delivers(host_support().kernel_single_step, "single-step exits in ring 0");
    GlassvmUnderGdb vm({test_guest("exit_status")});
    auto session = run_gdb(vm.port(), {"stepi", "info registers rip", "stepi"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains("rip            0x100002"));  // after movb $7,%al
    // Stepping the OUT hands status 7 to the exit device: the VM ends inside the step.
    CHECK_THAT(session.out, Catch::Contains("[Inferior 1 (Remote target) exited with code 07]"));
    CHECK(result.exit_status == 7);
}

TEST_CASE("gdb: stepi walks the bundled kernel's first instructions", "[kvm][gdb]") {
    require_kvm();
    require_host_delivers(host_support().kernel_single_step, "single-step exits in ring 0");
    Entry entry = kernel_entry(1);
    GlassvmUnderGdb vm({});
    auto session = run_gdb(vm.port(), {"stepi", "info registers rip", "stepi 50", "detach"});
    auto result = vm.wait();
    INFO(session.out << result.err);
    CHECK_THAT(session.out, Catch::Contains(fmt::format("rip            {:#x}", entry.address + 1)));  // after cld
    CHECK(result.exit_status == 0);
}
