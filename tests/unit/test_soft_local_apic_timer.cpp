// Unit tests for the soft local APIC's timer (vmm/soft/local_apic_timer.cpp, Intel SDM Vol. 3A
// §11.5.4): one-shot, periodic and TSC-deadline modes, the divider and the mask, on a clock the
// test moves by hand; and the host clock (HostTimeSource) the machine gives it.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <thread>

#include "base/error.hpp"
#include "tests/unit/soft_apic_harness.hpp"
#include "vmm/soft/time_source.hpp"

using namespace soft_apic_test;

TEST_CASE("soft chips: local APIC timer one-shot fires once at initial count x divide") {
    Harness h;
    h.enable();
    h.apic.write(kDivide, 0x3);  // divide by 16: a count every 16 ns of the 1 GHz bus clock
    h.apic.write(kLvtTimer, 0x40);
    h.time.ns = 1000;
    h.apic.write(kInitialCount, 1000);
    CHECK(h.apic.timer_deadline_ns() == std::optional<uint64_t>(1000 + 16'000));
    h.time.ns = 1000 + 8000;
    CHECK(h.apic.read(kCurrentCount) == 500u);
    h.time.ns = 1000 + 15'999;
    CHECK_FALSE(h.apic.poll_timer());
    CHECK(h.apic.read(kCurrentCount) == 1u);
    h.time.ns = 1000 + 16'000;
    CHECK(h.apic.poll_timer());
    CHECK(h.bit(kIrr, 0x40));
    CHECK(h.apic.read(kCurrentCount) == 0u);
    CHECK(h.apic.timer_deadline_ns() == std::nullopt);
    h.time.ns += 1'000'000;
    CHECK_FALSE(h.apic.poll_timer());  // once
}

TEST_CASE("soft chips: local APIC timer periodic reloads and counts down") {
    Harness h;
    h.enable();
    h.apic.write(kDivide, 0xb);                // divide by 1
    h.apic.write(kLvtTimer, 0x2'0000 | 0x41);  // periodic
    h.apic.write(kInitialCount, 100);
    CHECK(h.apic.timer_deadline_ns() == std::optional<uint64_t>(100));
    h.time.ns = 30;
    CHECK(h.apic.read(kCurrentCount) == 70u);
    h.time.ns = 60;
    CHECK(h.apic.read(kCurrentCount) == 40u);
    h.time.ns = 100;
    CHECK(h.apic.poll_timer());
    CHECK(h.apic.timer_deadline_ns() == std::optional<uint64_t>(200));
    h.time.ns = 130;
    CHECK(h.apic.read(kCurrentCount) == 70u);  // reloaded
    h.apic.start_service(0x41);
    h.apic.write(kEoi, 0);
    h.time.ns = 450;  // three periods late: one interrupt, then back on the period grid
    CHECK(h.apic.poll_timer());
    CHECK_FALSE(h.apic.poll_timer());
    CHECK(h.apic.timer_deadline_ns() == std::optional<uint64_t>(500));
    h.apic.write(kInitialCount, 0);  // stops it
    CHECK(h.apic.timer_deadline_ns() == std::nullopt);
}

TEST_CASE("soft chips: local APIC timer in TSC-deadline mode") {
    Harness h;
    h.enable();
    h.apic.set_tsc_deadline(5000);  // one-shot mode: ignored
    CHECK(h.apic.tsc_deadline() == 0u);
    h.apic.write(kLvtTimer, 0x4'0000 | 0x42);  // bits 18:17 = 10
    h.apic.write(kInitialCount, 10);           // ignored in this mode
    CHECK(h.apic.read(kInitialCount) == 0u);
    h.time.tsc_value = 1000;
    h.time.ns = 7;
    h.apic.set_tsc_deadline(5000);
    CHECK(h.apic.tsc_deadline() == 5000u);
    CHECK(h.apic.timer_deadline_ns() == std::optional<uint64_t>(7 + 4000));  // a 1 GHz TSC
    h.time.tsc_value = 4999;
    CHECK_FALSE(h.apic.poll_timer());
    h.time.tsc_value = 5000;
    CHECK(h.apic.poll_timer());
    CHECK(h.bit(kIrr, 0x42));
    CHECK(h.apic.tsc_deadline() == 0u);  // disarmed itself

    h.apic.set_tsc_deadline(9000);
    h.apic.set_tsc_deadline(0);  // disarms
    CHECK(h.apic.timer_deadline_ns() == std::nullopt);
    h.time.tsc_value = 10'000;
    CHECK_FALSE(h.apic.poll_timer());

    h.apic.set_tsc_deadline(20'000);
    h.apic.write(kLvtTimer, 0x42);  // leaving the mode disarms too (§11.5.4.1)
    h.apic.write(kLvtTimer, 0x4'0000 | 0x42);
    CHECK(h.apic.tsc_deadline() == 0u);
}

TEST_CASE("soft chips: local APIC timer masked raises nothing, then or after unmasking") {
    Harness h;
    h.enable();
    h.apic.write(kDivide, 0xb);
    h.apic.write(kLvtTimer, 0x1'0000 | 0x40);
    h.apic.write(kInitialCount, 10);
    CHECK(h.apic.timer_deadline_ns() == std::nullopt);
    h.time.ns = 5;
    CHECK(h.apic.read(kCurrentCount) == 5u);  // it still counts
    h.time.ns = 20;
    CHECK_FALSE(h.apic.poll_timer());
    h.apic.write(kLvtTimer, 0x40);  // the expiry while masked is lost
    CHECK_FALSE(h.apic.poll_timer());
    CHECK_FALSE(h.bit(kIrr, 0x40));
    CHECK(h.apic.timer_deadline_ns() == std::nullopt);
}

TEST_CASE("soft chips: local APIC timer keeps its count across a divide change") {
    Harness h;
    h.enable();
    h.apic.write(kDivide, 0xb);  // by 1
    h.apic.write(kLvtTimer, 0x40);
    h.apic.write(kInitialCount, 100);
    h.time.ns = 40;
    h.apic.write(kDivide, 0x0);  // by 2: the remaining 60 counts take 120 ns
    CHECK(h.apic.read(kCurrentCount) == 60u);
    h.time.ns = 100;
    CHECK(h.apic.read(kCurrentCount) == 30u);
    CHECK(h.apic.timer_deadline_ns() == std::optional<uint64_t>(160));
    h.time.ns = 159;
    CHECK_FALSE(h.apic.poll_timer());
    h.time.ns = 160;
    CHECK(h.apic.poll_timer());
}

TEST_CASE("soft chips: the host time source moves forward and states its TSC rate") {
    glassvm::soft::HostTimeSource host(2'500'000);
    CHECK(host.tsc_khz() == 2'500'000u);
    uint64_t ns = host.now_ns(), tsc = host.tsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    CHECK(host.now_ns() - ns >= 2'000'000);
    CHECK(host.tsc() > tsc);
    CHECK_THROWS_AS(glassvm::soft::HostTimeSource(0), glassvm::Error);
}
