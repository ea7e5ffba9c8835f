// Unit tests for the soft backend's local APIC (vmm/soft/local_apic.hpp) against Intel SDM Vol. 3A
// chapter 11: the software enable, priorities, EOI, the ICR's messages, destinations, INIT/SIPI
// latching, and two APICs sending each other IPIs from two threads. The timer's tests are in
// test_soft_local_apic_timer.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "tests/unit/soft_apic_harness.hpp"
#include "vmm/soft/local_apic.hpp"

using glassvm::soft::DeliveryMode;
using glassvm::soft::InterruptMessage;
using glassvm::soft::LocalApic;
using glassvm::soft::Shorthand;

using namespace soft_apic_test;

TEST_CASE("soft chips: local APIC reset state, software enable and the spurious vector") {
    Harness h(3);
    CHECK(h.apic.read(kId) == 3u << 24);
    CHECK(h.apic.read(0x30) == 0x50014u);
    CHECK(h.apic.read(kSvr) == 0xffu);  // §11.4.7.1: spurious vector 0xff, disabled
    CHECK(h.apic.read(kDfr) == 0xffff'ffffu);
    CHECK(h.apic.read(kLvtTimer) == 0x10000u);
    CHECK(h.apic.apic_base_msr() == 0xfee0'0800u);  // enabled, not the BSP
    CHECK(Harness(0).apic.apic_base_msr() == 0xfee0'0900u);

    // Disabled: fixed interrupts are refused (§11.4.7.2) and LVT masks cannot be cleared.
    h.fixed(0x40);
    CHECK_FALSE(h.bit(kIrr, 0x40));
    h.apic.write(kLvtLint0, 0x700);
    CHECK(h.apic.read(kLvtLint0) == 0x10700u);

    h.enable(0xef);
    CHECK(h.apic.read(kSvr) == 0x1efu);
    h.apic.write(kLvtLint0, 0x700);
    CHECK(h.apic.read(kLvtLint0) == 0x700u);
    h.fixed(0x40);
    CHECK(h.bit(kIrr, 0x40));
    CHECK(h.apic.deliverable_vector() == std::optional<uint8_t>(0x40));

    // Disabling again masks every LVT entry.
    h.apic.write(kSvr, 0xef);
    CHECK(h.apic.read(kLvtLint0) == 0x10700u);
    // A write to the ID register is ignored: the machine's routing stays.
    h.apic.write(kId, 7u << 24);
    CHECK(h.apic.read(kId) == 3u << 24);
}

TEST_CASE("soft chips: local APIC delivers fixed interrupts by priority class, TPR and ISR") {
    Harness h;
    h.enable();
    int wakes_before = h.wakes;
    h.fixed(0x31);
    h.fixed(0x52);
    h.fixed(0x45);
    CHECK(h.wakes == wakes_before + 3);                                    // each one pending tells the vCPU
    REQUIRE(h.apic.deliverable_vector() == std::optional<uint8_t>(0x52));  // highest class first
    h.apic.start_service(0x52);
    CHECK_FALSE(h.bit(kIrr, 0x52));
    CHECK(h.bit(kIsr, 0x52));
    CHECK(h.apic.read(kPpr) == 0x50u);                   // §11.8.3.1: the class in service
    CHECK(h.apic.deliverable_vector() == std::nullopt);  // 0x45's class 4 is below it

    h.apic.write(kEoi, 0);
    CHECK_FALSE(h.bit(kIsr, 0x52));
    CHECK(h.eois.empty());  // edge-triggered: nothing for the I/O APIC
    CHECK(h.apic.deliverable_vector() == std::optional<uint8_t>(0x45));

    h.apic.write(kTpr, 0x40);  // blocks class 4 and below
    CHECK(h.apic.read(kPpr) == 0x40u);
    CHECK(h.apic.deliverable_vector() == std::nullopt);
    h.apic.write(kTpr, 0x3f);
    CHECK(h.apic.deliverable_vector() == std::optional<uint8_t>(0x45));

    // A higher class interrupts one in service; EOI retires the highest first.
    h.apic.write(kTpr, 0);
    h.apic.start_service(0x45);
    h.fixed(0x80);
    REQUIRE(h.apic.deliverable_vector() == std::optional<uint8_t>(0x80));
    h.apic.start_service(0x80);
    h.apic.write(kEoi, 0);
    CHECK(h.bit(kIsr, 0x45));
    CHECK_FALSE(h.bit(kIsr, 0x80));

    // Vectors 0-15 are illegal (§11.5.3): refused, and the ESR says so after a write to it.
    h.fixed(0x05);
    CHECK_FALSE(h.bit(kIrr, 0x05));
    h.apic.write(kEsr, 0);
    CHECK(h.apic.read(kEsr) == 0x40u);
}

TEST_CASE("soft chips: local APIC's EOI of a level-triggered vector reaches the I/O APIC") {
    Harness h;
    h.enable();
    h.fixed(0x61, true);
    CHECK(h.bit(kTmr, 0x61));
    h.apic.start_service(0x61);
    h.apic.write(kEoi, 0);
    CHECK(h.eois == std::vector<uint8_t>{0x61});
    CHECK(h.isr_at_eoi == 0u);  // called after the ISR bit cleared, and without the lock

    h.fixed(0x61, false);  // the same vector edge-triggered clears its TMR bit
    CHECK_FALSE(h.bit(kTmr, 0x61));
    h.apic.start_service(0x61);
    h.apic.write(kEoi, 0);
    CHECK(h.eois.size() == 1);
}

TEST_CASE("soft chips: local APIC's ICR writes send the messages they encode") {
    Harness h(1);
    h.enable();
    h.apic.write(kIcrHigh, 3u << 24);
    h.apic.write(kIcrLow, 0x4500);  // INIT, level assert, physical destination 3
    REQUIRE(h.sent.size() == 1);
    CHECK(h.sent[0].delivery == DeliveryMode::Init);
    CHECK(h.sent[0].destination == 3);
    CHECK(h.sent[0].assert_level);
    CHECK_FALSE(h.sent[0].logical_destination);
    CHECK(h.sent[0].shorthand == Shorthand::None);
    CHECK(h.sent[0].source_apic_id == 1u);
    CHECK((h.apic.read(kIcrLow) & 0x1000) == 0);  // delivery status: idle at once

    h.apic.write(kIcrLow, 0x4608);  // SIPI, start page 0x8000
    REQUIRE(h.sent.size() == 2);
    CHECK(h.sent[1].delivery == DeliveryMode::StartUp);
    CHECK(h.sent[1].vector == 0x08);
    CHECK(h.sent[1].destination == 3);

    h.apic.write(kIcrLow, 0x000c'4500);  // INIT to all excluding self, as guest/smp.cpp may
    REQUIRE(h.sent.size() == 3);
    CHECK(h.sent[2].shorthand == Shorthand::AllExcludingSelf);

    h.apic.write(kIcrLow, 0x8500);  // INIT level de-assert, level-triggered
    REQUIRE(h.sent.size() == 4);
    CHECK_FALSE(h.sent[3].assert_level);
    CHECK(h.sent[3].level_triggered);

    h.apic.write(kIcrHigh, 0x0c00'0000);
    h.apic.write(kIcrLow, 0x0000'4830);  // fixed 0x30, logical destination 0x0c
    REQUIRE(h.sent.size() == 5);
    CHECK(h.sent[4].delivery == DeliveryMode::Fixed);
    CHECK(h.sent[4].vector == 0x30);
    CHECK(h.sent[4].logical_destination);
    CHECK(h.sent[4].destination == 0x0c);

    h.apic.write(kIcrLow, 0x4003);  // fixed with an illegal vector: not sent, ESR bit 5
    CHECK(h.sent.size() == 5);
    h.apic.write(kEsr, 0);
    CHECK(h.apic.read(kEsr) == 0x20u);
}

TEST_CASE("soft chips: local APIC destinations: physical, broadcast, logical and shorthands") {
    Harness h(2);
    InterruptMessage message;
    message.destination = 2;
    CHECK(h.apic.is_destination(message));
    message.destination = 3;
    CHECK_FALSE(h.apic.is_destination(message));
    message.destination = 0xff;
    CHECK(h.apic.is_destination(message));

    message.logical_destination = true;
    h.apic.write(kLdr, 0x0400'0000);  // flat model: logical id bit 2
    message.destination = 0x0c;
    CHECK(h.apic.is_destination(message));
    message.destination = 0x02;
    CHECK_FALSE(h.apic.is_destination(message));
    h.apic.write(kDfr, 0x0fff'ffff);  // cluster model: cluster 2, member bit 0
    CHECK(h.apic.read(kDfr) == 0x0fff'ffffu);
    h.apic.write(kLdr, 0x2100'0000);
    message.destination = 0x23;
    CHECK(h.apic.is_destination(message));
    message.destination = 0x22;
    CHECK_FALSE(h.apic.is_destination(message));
    message.destination = 0x11;
    CHECK_FALSE(h.apic.is_destination(message));

    message.destination = 0;
    message.shorthand = Shorthand::Self;
    message.source_apic_id = 2;
    CHECK(h.apic.is_destination(message));
    message.shorthand = Shorthand::AllExcludingSelf;
    CHECK_FALSE(h.apic.is_destination(message));
    message.source_apic_id = 0;
    CHECK(h.apic.is_destination(message));
    message.shorthand = Shorthand::Self;
    CHECK_FALSE(h.apic.is_destination(message));
    message.shorthand = Shorthand::AllIncludingSelf;
    CHECK(h.apic.is_destination(message));
}

TEST_CASE("soft chips: local APIC latches INIT, SIPI and NMI once each, and INIT resets it") {
    Harness h(1);  // still software-disabled: these are taken all the same (§11.4.7.2)
    InterruptMessage message;
    message.delivery = DeliveryMode::Init;
    message.level_triggered = true;
    message.assert_level = false;  // a de-assert only synchronises arbitration
    h.apic.accept(message);
    CHECK_FALSE(h.apic.take_init());
    message.assert_level = true;
    h.apic.accept(message);
    CHECK(h.wakes == 1);
    CHECK(h.apic.take_init());
    CHECK_FALSE(h.apic.take_init());

    message.delivery = DeliveryMode::StartUp;
    message.vector = 0x08;
    h.apic.accept(message);
    CHECK(h.apic.take_startup() == std::optional<uint8_t>(0x08));
    CHECK(h.apic.take_startup() == std::nullopt);
    message.delivery = DeliveryMode::Nmi;
    h.apic.accept(message);
    CHECK(h.apic.take_nmi());
    CHECK_FALSE(h.apic.take_nmi());

    h.enable();
    h.apic.write(kTpr, 0x20);
    h.apic.write(kLdr, 0x0100'0000);
    h.fixed(0x40);
    h.apic.reset_for_init();  // §11.4.7.3: as at power-up, but for the id
    CHECK(h.apic.read(kId) == 1u << 24);
    CHECK(h.apic.read(kTpr) == 0u);
    CHECK(h.apic.read(kLdr) == 0u);
    CHECK(h.apic.read(kSvr) == 0xffu);
    CHECK_FALSE(h.bit(kIrr, 0x40));
}

TEST_CASE("soft chips: local APICs of two vCPUs send each other IPIs at once") {
    // Each APIC's send link accepts on the other: a link called with the sender's lock held, or
    // accept() calling its wake link with the lock held, would deadlock here.
    FakeTimeSource time;
    LocalApic* apics[2] = {};
    std::atomic<int> wakes{0};
    auto links = [&](int self) {
        return glassvm::soft::LocalApicLinks{[&apics, self](const InterruptMessage& message) {
                                                 LocalApic& other = *apics[1 - self];
                                                 if (other.is_destination(message)) other.accept(message);
                                             },
                                             [](uint8_t) {},
                                             [&wakes, &apics, self] {
                                                 wakes++;
                                                 apics[self]->deliverable_vector();
                                             }};
    };
    LocalApic first(0, time, links(0)), second(1, time, links(1));
    apics[0] = &first;
    apics[1] = &second;
    first.write(kSvr, 0x1ff);
    second.write(kSvr, 0x1ff);
    // Each vCPU sends vectors 0x40-0xbf round and round, and takes what it is sent.
    std::set<uint8_t> taken[2];
    auto vcpu = [&](int self) {
        LocalApic& apic = *apics[self];
        for (int round = 0; round < 2000; ++round) {
            apic.write(kIcrHigh, uint32_t(1 - self) << 24);
            apic.write(kIcrLow, 0x4000 | uint32_t(0x40 + round % 0x80));
            if (auto vector = apic.deliverable_vector()) {
                apic.start_service(*vector);
                apic.write(kEoi, 0);
                taken[self].insert(*vector);
            }
        }
    };
    std::thread a(vcpu, 0), b(vcpu, 1);
    a.join();
    b.join();
    for (int self = 0; self < 2; ++self) {
        while (auto vector = apics[self]->deliverable_vector()) {  // what is still pending
            apics[self]->start_service(*vector);
            apics[self]->write(kEoi, 0);
            taken[self].insert(*vector);
        }
        CHECK(taken[self].size() == 0x80);  // every vector sent arrived
        CHECK(*taken[self].begin() == 0x40);
    }
    CHECK(wakes.load() >= 2 * 0x80);
}
