// Unit tests for the soft backend's I/O APIC (vmm/soft/io_apic.hpp) against the 82093AA
// datasheet: its identity registers, the redirection table as guest/ioapic.cpp programs it,
// edge and level pins, masking, remote IRR and re-delivery on EOI.
#include <catch2/catch.hpp>

#include <vector>

#include "vmm/soft/io_apic.hpp"

using glassvm::soft::DeliveryMode;
using glassvm::soft::InterruptMessage;
using glassvm::soft::IoApic;

namespace {

constexpr uint32_t kSelect = 0x00, kWindow = 0x10;

struct Harness {
    // Each delivery reads the I/O APIC back: only possible when it is called without the lock.
    IoApic ioapic{[this](const InterruptMessage& message) {
        delivered.push_back(message);
        entry_at_delivery = read_register(0x10 + 2 * 4);
    }};
    std::vector<InterruptMessage> delivered;
    uint32_t entry_at_delivery = 0;

    void write_register(uint32_t index, uint32_t value) {
        ioapic.write(kSelect, index);
        ioapic.write(kWindow, value);
    }
    uint32_t read_register(uint32_t index) {
        ioapic.write(kSelect, index);
        return ioapic.read(kWindow);
    }
    // guest/ioapic.cpp's ioapic_route: destination first, then vector (unmasking the entry).
    void route(uint32_t pin, uint32_t low, uint8_t apic_id) {
        write_register(0x10 + 2 * pin + 1, uint32_t(apic_id) << 24);
        write_register(0x10 + 2 * pin, low);
    }
};

}  // namespace

TEST_CASE("soft chips: I/O APIC identity registers and reset state") {
    Harness h;
    CHECK(h.read_register(0x01) == 0x0017'0011u);  // 24 entries, version 0x11
    h.write_register(0x00, 0xffff'ffff);
    CHECK(h.read_register(0x00) == 0x0f00'0000u);  // ID bits 27:24
    CHECK(h.read_register(0x02) == 0x0f00'0000u);
    h.ioapic.write(kSelect, 0x3f);
    CHECK(h.ioapic.read(kSelect) == 0x3fu);
    for (uint32_t pin = 0; pin < 24; ++pin) CHECK(h.read_register(0x10 + 2 * pin) == 0x1'0000u);  // masked
    h.write_register(0x01, 0);                                                                    // read-only
    CHECK(h.read_register(0x01) == 0x0017'0011u);
}

TEST_CASE("soft chips: I/O APIC routes an edge pin as guest/ioapic.cpp programs it") {
    Harness h;
    h.route(4, 0x24, 1);  // the serial port's IRQ 4 to vector 0x24 on APIC 1
    CHECK(h.read_register(0x10 + 8) == 0x24u);
    CHECK(h.read_register(0x10 + 9) == 1u << 24);
    CHECK(h.delivered.empty());

    h.ioapic.set_irq(4, true);
    REQUIRE(h.delivered.size() == 1);
    const InterruptMessage& message = h.delivered[0];
    CHECK(message.vector == 0x24);
    CHECK(message.destination == 1);
    CHECK(message.delivery == DeliveryMode::Fixed);
    CHECK_FALSE(message.logical_destination);
    CHECK_FALSE(message.level_triggered);
    CHECK(h.entry_at_delivery == 0x24u);

    h.ioapic.set_irq(4, true);  // still high: no new edge
    CHECK(h.delivered.size() == 1);
    h.ioapic.set_irq(4, false);
    h.ioapic.set_irq(4, true);
    CHECK(h.delivered.size() == 2);

    h.route(5, 0x0900 | 0x31, 0x03);  // logical (bit 11), lowest priority (bits 10:8 = 001)
    h.ioapic.set_irq(5, true);
    REQUIRE(h.delivered.size() == 3);
    CHECK(h.delivered[2].delivery == DeliveryMode::LowestPriority);
    CHECK(h.delivered[2].logical_destination);
    CHECK(h.delivered[2].destination == 0x03);
    h.ioapic.set_irq(99, true);  // no such pin
    CHECK(h.delivered.size() == 3);
}

TEST_CASE("soft chips: I/O APIC masked pins: edges are lost, levels wait") {
    Harness h;
    h.ioapic.set_irq(4, true);  // masked since reset
    CHECK(h.delivered.empty());
    h.route(4, 0x24, 0);  // unmasked while high: the edge is gone
    CHECK(h.delivered.empty());

    h.route(6, 0x1'0000 | 0x8000 | 0x36, 0);  // level, masked
    h.ioapic.set_irq(6, true);
    CHECK(h.delivered.empty());
    h.route(6, 0x8000 | 0x36, 0);  // unmasked while still asserted
    REQUIRE(h.delivered.size() == 1);
    CHECK(h.delivered[0].level_triggered);
}

TEST_CASE("soft chips: I/O APIC level pins: remote IRR and re-delivery at EOI") {
    Harness h;
    h.route(10, 0x8000 | 0x3a, 2);
    h.ioapic.set_irq(10, true);
    REQUIRE(h.delivered.size() == 1);
    CHECK(h.delivered[0].vector == 0x3a);
    CHECK(h.read_register(0x10 + 20) & 0x4000);  // remote IRR (bit 14)
    h.ioapic.set_irq(10, true);
    CHECK(h.delivered.size() == 1);  // in service: no more until EOI

    h.ioapic.end_of_interrupt(0x3b);  // another vector
    CHECK(h.delivered.size() == 1);
    h.ioapic.end_of_interrupt(0x3a);  // still asserted: again
    CHECK(h.delivered.size() == 2);
    CHECK(h.read_register(0x10 + 20) & 0x4000);

    h.ioapic.set_irq(10, false);  // the device was served
    h.ioapic.write(0x40, 0x3a);   // the EOI register of later versions
    CHECK(h.delivered.size() == 2);
    CHECK_FALSE(h.read_register(0x10 + 20) & 0x4000);
    h.write_register(0x10 + 20, 0x4000 | 0x8000 | 0x3a);  // remote IRR is read-only
    CHECK_FALSE(h.read_register(0x10 + 20) & 0x4000);
    h.ioapic.set_irq(10, true);
    CHECK(h.delivered.size() == 3);
}
