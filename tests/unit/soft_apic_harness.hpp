// The soft local APIC tests' harness: one APIC on a fake clock with its links recorded, and the
// register offsets (Intel SDM Vol. 3A Table 11-1) the tests use.
#pragma once

#include <cstdint>
#include <vector>

#include "tests/unit/fake_time_source.hpp"
#include "vmm/soft/local_apic.hpp"

namespace soft_apic_test {

using glassvm::soft::InterruptMessage;
using glassvm::soft::LocalApic;

constexpr uint32_t kId = 0x20, kTpr = 0x80, kPpr = 0xa0, kEoi = 0xb0, kLdr = 0xd0, kDfr = 0xe0, kSvr = 0xf0;
constexpr uint32_t kIsr = 0x100, kTmr = 0x180, kIrr = 0x200, kEsr = 0x280, kIcrLow = 0x300, kIcrHigh = 0x310;
constexpr uint32_t kLvtTimer = 0x320, kLvtLint0 = 0x350, kInitialCount = 0x380, kCurrentCount = 0x390, kDivide = 0x3e0;

// One APIC with its links recorded; the links call back into the APIC, which only works if the
// APIC calls them without its lock held.
struct Harness {
    explicit Harness(uint32_t id = 0) : apic(id, time, links()) {}

    glassvm::soft::LocalApicLinks links() {
        return {[this](const InterruptMessage& message) { sent.push_back(message); },
                [this](uint8_t vector) {
                    eois.push_back(vector);
                    isr_at_eoi = apic.read(kIsr + 0x10 * (vector / 32));
                },
                [this] {
                    ++wakes;
                    apic.read(kPpr);
                }};
    }
    void enable(uint8_t spurious = 0xff) { apic.write(kSvr, 0x100 | spurious); }
    void fixed(uint8_t vector, bool level = false) {
        InterruptMessage message;
        message.vector = vector;
        message.level_triggered = level;
        apic.accept(message);
    }
    bool bit(uint32_t base, uint8_t vector) { return apic.read(base + 0x10 * (vector / 32)) >> (vector % 32) & 1; }

    FakeTimeSource time;
    std::vector<InterruptMessage> sent;
    std::vector<uint8_t> eois;
    uint32_t isr_at_eoi = ~0u;
    int wakes = 0;
    LocalApic apic;
};

}  // namespace soft_apic_test
