// Unit tests for the GDB stub's pieces that need no /dev/kvm: the kvm_guest_debug its request becomes
// (flags, DR0–DR3 and DR7), spotting instructions that leave ring 0, guest memory access by
// virtual address across pages, int3 patching and debug-register slots, and --gdb addresses.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <vector>

#include "base/error.hpp"
#include "vmm/debug/gdb/gdb_connection.hpp"
#include "vmm/debug/gdb/guest_access.hpp"
#include "vmm/kvm/kvm_vcpu.hpp"  // to_kvm_guest_debug

using namespace glassvm::gdb;
using glassvm::GuestMemory;
using glassvm::to_kvm_guest_debug;

namespace {

// 64 KiB of guest RAM seen through a made-up page table: virtual page V maps to physical page
// `pages[V]`; anything else is unmapped.
struct FakeGuest {
    GuestMemory memory = GuestMemory::allocate(0x10000);
    std::map<uint64_t, uint64_t> pages = {{0x400000, 0x3000}, {0x401000, 0x1000}, {0x402000, 0xff000}};
    GuestAccess access{memory, [this](uint64_t address) -> std::optional<uint64_t> {
                           auto page = pages.find(address & ~0xfffull);
                           if (page == pages.end()) return std::nullopt;
                           return page->second | (address & 0xfff);
                       }};

    uint8_t physical(uint64_t address) const { return memory.host_base()[address]; }
};

}  // namespace

TEST_CASE("no request means guest debugging off", "[gdb][guest-debug]") {
    kvm_guest_debug debug = to_kvm_guest_debug({});
    kvm_guest_debug zero{};
    CHECK(std::memcmp(&debug, &zero, sizeof debug) == 0);
}

TEST_CASE("single-step and int3 interception set their KVM_GUESTDBG flags", "[gdb][guest-debug]") {
    kvm_guest_debug step = to_kvm_guest_debug(GuestDebugRequest::stepping());
    CHECK(step.control == (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP));
    kvm_guest_debug int3 = to_kvm_guest_debug(GuestDebugRequest::int3());
    CHECK(int3.control == (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP));
}

TEST_CASE("a breakpoint injection sets KVM_GUESTDBG_INJECT_BP with or without other debugging", "[gdb][guest-debug]") {
    GuestDebugRequest inject;
    inject.inject_breakpoint = true;
    CHECK(to_kvm_guest_debug(inject).control == (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_BP));
    GuestDebugRequest step_and_inject = GuestDebugRequest::stepping();
    step_and_inject.inject_breakpoint = true;
    CHECK(to_kvm_guest_debug(step_and_inject).control ==
          (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_INJECT_BP));
}

TEST_CASE("hardware breakpoints fill DR0 onwards and enable each in DR7", "[gdb][guest-debug]") {
    GuestDebugRequest request;
    request.hardware_breakpoints = {0x100000, 0x100010};
    kvm_guest_debug debug = to_kvm_guest_debug(request);
    CHECK(debug.control == (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP));
    CHECK(debug.arch.debugreg[0] == 0x100000);
    CHECK(debug.arch.debugreg[1] == 0x100010);
    CHECK(debug.arch.debugreg[2] == 0);
    // G0 (bit 1) and G1 (bit 3), GE (bit 9), bit 10; R/W and LEN 00: execute, one byte.
    CHECK(debug.arch.debugreg[7] == ((1u << 1) | (1u << 3) | (1u << 9) | (1u << 10)));
}

TEST_CASE("instructions that can enter ring 3 are recognised", "[gdb][guest-debug]") {
    using Bytes = std::vector<uint8_t>;
    CHECK(may_enter_user_mode(Bytes{0x48, 0xcf}));        // iretq
    CHECK(may_enter_user_mode(Bytes{0xcf}));              // iret
    CHECK(may_enter_user_mode(Bytes{0x48, 0x0f, 0x07}));  // sysretq
    CHECK(may_enter_user_mode(Bytes{0x0f, 0x35}));        // sysexit
    CHECK(may_enter_user_mode(Bytes{0x48, 0xcb}));        // lretq
    CHECK_FALSE(may_enter_user_mode(Bytes{0xc3}));        // ret
    CHECK_FALSE(may_enter_user_mode(Bytes{0x0f, 0x05}));  // syscall
    CHECK_FALSE(may_enter_user_mode(Bytes{0x90}));
    CHECK_FALSE(may_enter_user_mode(Bytes{0x48}));  // only a prefix
    CHECK_FALSE(may_enter_user_mode(Bytes{}));
}

TEST_CASE("guest memory reads follow the page table across pages", "[gdb][guest-access]") {
    FakeGuest guest;
    guest.memory.host_base()[0x3ffe] = 0xaa;
    guest.memory.host_base()[0x3fff] = 0xbb;
    guest.memory.host_base()[0x1000] = 0xcc;
    CHECK(guest.access.read(0x400ffe, 3) == std::vector<uint8_t>{0xaa, 0xbb, 0xcc});
}

TEST_CASE("a read stops at the first unmapped or non-RAM byte", "[gdb][guest-access]") {
    FakeGuest guest;
    CHECK(guest.access.read(0x401ffe, 4).size() == 2);  // the next page maps beyond RAM
    CHECK(guest.access.read(0x500000, 4).empty());      // not mapped at all
    CHECK(guest.access.read(0x3ffffe, 4).empty());      // the first byte is unmapped
}

TEST_CASE("a write is all or nothing", "[gdb][guest-access]") {
    FakeGuest guest;
    std::vector<uint8_t> data = {1, 2, 3, 4};
    CHECK(guest.access.write(0x400ffe, data));
    CHECK(guest.physical(0x3ffe) == 1);
    CHECK(guest.physical(0x1001) == 4);
    CHECK_FALSE(guest.access.write(0x401ffe, data));  // half of it would fall outside RAM
    CHECK(guest.physical(0x1ffe) == 0);               // and the first half was not written
}

TEST_CASE("a software breakpoint patches an int3 and removing it restores the byte", "[gdb][breakpoints]") {
    FakeGuest guest;
    guest.memory.host_base()[0x3010] = 0x55;
    Breakpoints breakpoints;
    REQUIRE(breakpoints.insert_software(guest.access, 0x400010));
    CHECK(guest.physical(0x3010) == 0xcc);
    CHECK(breakpoints.has_software(0x400010));
    CHECK(breakpoints.insert_software(guest.access, 0x400010));  // twice: still one, original kept
    CHECK(breakpoints.guest_debug(false).intercept_int3);
    CHECK(breakpoints.remove_software(guest.access, 0x400010));
    CHECK(guest.physical(0x3010) == 0x55);
    CHECK_FALSE(breakpoints.remove_software(guest.access, 0x400010));
    CHECK_FALSE(breakpoints.guest_debug(false).intercept_int3);
    CHECK_FALSE(breakpoints.insert_software(guest.access, 0x500000));  // unmapped
}

TEST_CASE("clearing breakpoints restores every patched byte", "[gdb][breakpoints]") {
    FakeGuest guest;
    guest.memory.host_base()[0x3000] = 0x11;
    guest.memory.host_base()[0x1000] = 0x22;
    Breakpoints breakpoints;
    breakpoints.insert_software(guest.access, 0x400000);
    breakpoints.insert_software(guest.access, 0x401000);
    breakpoints.insert_hardware(0x400100, 4);
    breakpoints.clear(guest.access);
    CHECK(guest.physical(0x3000) == 0x11);
    CHECK(guest.physical(0x1000) == 0x22);
    CHECK(breakpoints.empty());
}

TEST_CASE("hardware breakpoints use at most the available debug registers", "[gdb][breakpoints]") {
    Breakpoints breakpoints;
    CHECK(breakpoints.insert_hardware(0x1000, 2));
    CHECK(breakpoints.insert_hardware(0x2000, 2));
    CHECK(breakpoints.insert_hardware(0x2000, 2));  // already there
    CHECK_FALSE(breakpoints.insert_hardware(0x3000, 2));
    CHECK(breakpoints.guest_debug(true).hardware_breakpoints == std::vector<uint64_t>{0x1000, 0x2000});
    CHECK(breakpoints.guest_debug(true).single_step);
    CHECK(breakpoints.remove_hardware(0x1000));
    CHECK(breakpoints.insert_hardware(0x3000, 2));
    CHECK_FALSE(breakpoints.remove_hardware(0x9000));
}

TEST_CASE("the gdb listen address is PORT or HOST:PORT", "[gdb][cli]") {
    ListenAddress port_only = parse_listen_address("1234");
    CHECK(port_only.host == "127.0.0.1");
    CHECK(port_only.port == 1234);
    ListenAddress any = parse_listen_address("0.0.0.0:0");
    CHECK(any.host == "0.0.0.0");
    CHECK(any.port == 0);
    CHECK(parse_listen_address("localhost:65535").host == "localhost");
    for (const char* bad : {"", "x", ":1234", "host:", "1234x", "65536", "host:-1"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_listen_address(bad), glassvm::Error);
    }
}
