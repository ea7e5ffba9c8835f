// Unit tests for the soft backend's 8254 PIT and port 0x61 (vmm/soft/pit_8254.hpp): the exact
// waits of guest/pit.cpp (channel 0 and the latch command) and of Linux's TSC calibration
// (channel 2 gated by port 0x61), mode 2's periodic IRQ 0, and the access modes and read-back.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "tests/unit/fake_time_source.hpp"
#include "vmm/soft/pit_8254.hpp"

using glassvm::soft::Pit8254;

namespace {

struct Harness {
    FakeTimeSource time;
    std::vector<bool> irq0;
    Pit8254 pit{time, [this](bool level) { irq0.push_back(level); }};

    uint16_t latched_count(uint8_t channel) {  // counter latch command, then low and high byte
        pit.write(0x43, uint8_t(channel << 6));
        uint8_t low = pit.read(0x40 + channel);
        return uint16_t(low | pit.read(0x40 + channel) << 8);
    }
};

// The PIT's input clocks in `ns` nanoseconds, rounded down.
uint64_t clocks(uint64_t ns) { return ns * Pit8254::kFrequencyHz / 1'000'000'000; }
// The first nanosecond at which `count` clocks have passed since 0.
uint64_t ns_after(uint64_t count) {
    return (count * 1'000'000'000 + Pit8254::kFrequencyHz - 1) / Pit8254::kFrequencyHz;
}

}  // namespace

TEST_CASE("soft chips: PIT runs guest/pit.cpp's channel 0 wait with the latch command") {
    Harness h;
    h.time.ns = 123'456'789;
    h.pit.write(0x43, 0x30);  // channel 0, lo/hi, mode 0
    h.pit.write(0x40, 0xff);
    h.pit.write(0x40, 0xff);
    uint16_t start = h.latched_count(0);
    CHECK(start == 0xffff);
    // pit_wait(10) as written, each poll taking 1 µs of the fake clock.
    uint64_t begun = h.time.ns;
    uint32_t ticks = uint32_t(Pit8254::kFrequencyHz * 10 / 1000);
    bool done = false;
    for (int poll = 0; poll < 100'000 && !done; ++poll) {
        h.time.ns += 1000;
        done = uint16_t(start - h.latched_count(0)) >= ticks;
    }
    CHECK(done);
    CHECK(h.time.ns - begun >= 10'000'000 - 3000);  // 10 ms, give or take a clock and a poll
    CHECK(h.time.ns - begun <= 10'000'000 + 3000);

    // A latched count stays as it was until it is read; a second latch before then is ignored.
    h.pit.write(0x43, 0x00);
    uint64_t latched_at = h.time.ns;
    h.time.ns += 5'000'000;
    h.pit.write(0x43, 0x00);
    uint8_t low = h.pit.read(0x40);
    uint16_t value = uint16_t(low | h.pit.read(0x40) << 8);
    CHECK(value == uint16_t(0xffff - (clocks(latched_at) - clocks(begun))));
    CHECK(h.latched_count(0) == uint16_t(0xffff - (clocks(h.time.ns) - clocks(begun))));
}

TEST_CASE("soft chips: PIT channel 2 gated by port 0x61 as Linux calibrates the TSC") {
    Harness h;
    CHECK((h.pit.read(0x61) & 0x03) == 0);
    h.pit.write(0x61, uint8_t((h.pit.read(0x61) & ~0x02) | 0x01));  // gate 2 high, speaker off
    CHECK((h.pit.read(0x61) & 0x03) == 0x01);
    h.pit.write(0x43, 0xb0);  // channel 2, lo/hi, mode 0
    uint16_t latch = 1193182 / (1000 / 10);
    h.pit.write(0x42, uint8_t(latch));
    h.pit.write(0x42, uint8_t(latch >> 8));
    CHECK((h.pit.read(0x61) & 0x20) == 0);  // OUT2 low while counting
    h.time.ns = 9'999'000;
    CHECK((h.pit.read(0x61) & 0x20) == 0);
    // Reading without a latch (quick_pit_calibrate reads the MSB as the second byte).
    uint8_t low = h.pit.read(0x42);
    CHECK(uint16_t(low | h.pit.read(0x42) << 8) == uint16_t(latch - clocks(h.time.ns)));
    h.time.ns = 10'000'000;
    CHECK((h.pit.read(0x61) & 0x20) == 0x20);  // terminal count: OUT2 high

    // Gate low stops mode 0's count; gate high goes on from there.
    h.pit.write(0x43, 0xb0);
    h.pit.write(0x42, uint8_t(latch));
    h.pit.write(0x42, uint8_t(latch >> 8));
    h.time.ns += 5'000'000;
    h.pit.write(0x61, 0x00);
    uint16_t held = h.latched_count(2);
    h.time.ns += 20'000'000;
    CHECK(h.latched_count(2) == held);
    CHECK((h.pit.read(0x61) & 0x20) == 0);
    h.pit.write(0x61, 0x01);
    h.time.ns += 4'000'000;
    CHECK((h.pit.read(0x61) & 0x20) == 0);
    h.time.ns += 1'100'000;
    CHECK((h.pit.read(0x61) & 0x20) == 0x20);
}

TEST_CASE("soft chips: PIT mode 2 on channel 0 raises IRQ 0 periodically") {
    Harness h;
    CHECK(h.pit.irq_deadline_ns() == std::nullopt);
    h.pit.write(0x43, 0x34);  // channel 0, lo/hi, mode 2
    uint16_t count = 1193;    // about 1 kHz
    h.pit.write(0x40, uint8_t(count));
    h.pit.write(0x40, uint8_t(count >> 8));
    auto first = h.pit.irq_deadline_ns();
    REQUIRE(first);
    CHECK(*first >= 999'000);
    CHECK(*first <= 1'000'000);
    h.time.ns = 300'000;
    uint16_t earlier = h.latched_count(0);
    h.time.ns = 600'000;
    uint16_t later = h.latched_count(0);
    CHECK(earlier == count - clocks(300'000));
    CHECK(later < earlier);

    h.time.ns = *first - 1;
    CHECK_FALSE(h.pit.poll());
    CHECK(h.irq0.empty());
    h.time.ns = *first;
    CHECK(h.pit.poll());
    CHECK(h.irq0 == std::vector<bool>{true});
    CHECK(h.latched_count(0) == count);  // reloaded
    CHECK_FALSE(h.pit.poll());

    auto second = h.pit.irq_deadline_ns();
    REQUIRE(second);
    CHECK(*second - *first >= 999'000);
    CHECK(*second - *first <= 1'000'000);
    h.time.ns = *second;
    CHECK(h.pit.poll());
    CHECK(h.irq0 == std::vector<bool>{true, false, true});  // a new rising edge
}

TEST_CASE("soft chips: PIT mode 0 on channel 0 raises IRQ 0 once, a control word lowers it") {
    Harness h;
    h.pit.write(0x43, 0x30);
    h.pit.write(0x40, 100);
    h.pit.write(0x40, 0);
    auto deadline = h.pit.irq_deadline_ns();
    REQUIRE(deadline);
    h.time.ns = *deadline;
    CHECK(h.pit.poll());
    CHECK(h.pit.irq_deadline_ns() == std::nullopt);
    h.time.ns += 1'000'000'000;
    CHECK_FALSE(h.pit.poll());
    h.pit.write(0x43, 0x30);
    CHECK(h.irq0 == std::vector<bool>{true, false});
}

TEST_CASE("soft chips: PIT access modes, read-back status and port 0x61") {
    Harness h;
    h.pit.write(0x43, 0x10);  // channel 0, low byte only, mode 0
    h.pit.write(0x40, 0x50);
    CHECK(h.pit.read(0x40) == 0x50);
    CHECK(h.pit.read(0x40) == 0x50);  // no high byte to alternate with
    h.pit.write(0x43, 0x60);          // channel 1, high byte only, mode 0
    h.pit.write(0x41, 0x12);
    CHECK(h.pit.read(0x41) == 0x12);
    h.pit.write(0x43, 0x40);  // latch channel 1
    CHECK(h.pit.read(0x41) == 0x12);

    h.pit.write(0x43, 0xe2);          // read-back: status of channel 0 only
    CHECK(h.pit.read(0x40) == 0x10);  // OUT low, count loaded, low byte only, mode 0, binary
    h.time.ns = 1'000'000;            // past 0x50 clocks
    h.pit.write(0x43, 0xc2);          // status and count
    CHECK(h.pit.read(0x40) == 0x90);  // OUT high now
    CHECK(h.pit.read(0x40) == uint8_t(0x50 - clocks(1'000'000)));
    h.pit.write(0x43, 0x36);  // channel 0 mode 3, no count yet
    h.pit.write(0x43, 0xe2);
    CHECK(h.pit.read(0x40) == 0xf6);  // OUT high, null count, lo/hi, mode 3

    CHECK(h.pit.read(0x43) == 0xff);
    h.pit.write(0x61, 0x03);
    uint8_t first = h.pit.read(0x61);
    CHECK((first & 0x03) == 0x03);
    h.time.ns += 15'085;  // one DRAM refresh later
    CHECK(((first ^ h.pit.read(0x61)) & 0x10) == 0x10);
}

TEST_CASE("soft chips: PIT channel 2 square wave (mode 3) and gate-triggered one-shot (mode 1)") {
    Harness h;
    h.pit.write(0x61, 0x01);
    h.pit.write(0x43, 0xb6);  // channel 2, lo/hi, mode 3: the PC speaker's tone
    h.pit.write(0x42, uint8_t(1000 & 0xff));
    h.pit.write(0x42, uint8_t(1000 >> 8));
    auto out2 = [&] { return (h.pit.read(0x61) & 0x20) != 0; };
    h.time.ns = ns_after(250);
    CHECK(out2());
    CHECK(h.latched_count(2) == 500);  // two per clock
    h.time.ns = ns_after(750);
    CHECK_FALSE(out2());
    h.time.ns = ns_after(1250);
    CHECK(out2());
    h.pit.write(0x61, 0x00);  // gate low: OUT high at once, counting stops
    h.time.ns = ns_after(1750);
    CHECK(out2());

    h.pit.write(0x43, 0xb2);  // mode 1: waits for the gate's rising edge
    h.pit.write(0x42, 100);
    h.pit.write(0x42, 0);
    h.time.ns = ns_after(3000);
    CHECK(out2());
    CHECK(h.latched_count(2) == 100);
    h.pit.write(0x61, 0x01);  // trigger: OUT low for 100 clocks
    CHECK_FALSE(out2());
    h.time.ns = ns_after(3099);
    CHECK_FALSE(out2());
    h.time.ns = ns_after(3100);
    CHECK(out2());
}
