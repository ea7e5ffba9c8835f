// Unit tests for the soft backend's 8259A pair (vmm/soft/pic_8259.hpp): Linux's initialization
// sequence, the masks our guest writes, IRR and ISR reads through OCW3, the INTA cycle with its
// cascade and priorities, EOI commands and the ELCR.
#include <catch2/catch.hpp>

#include "vmm/soft/pic_8259.hpp"

using glassvm::soft::Pic8259Pair;

namespace {

// Linux's init_8259A(0): mask everything, ICW1-ICW4 to each chip (vectors 0x20 and 0x28, slave
// on IR2, 8086 mode), then masks again (here: everything open but the cascade's needs).
void linux_init(Pic8259Pair& pic) {
    pic.write(0x21, 0xff);
    pic.write(0xa1, 0xff);
    pic.write(0x20, 0x11);
    pic.write(0x21, 0x20);
    pic.write(0x21, 0x04);
    pic.write(0x21, 0x01);
    pic.write(0xa0, 0x11);
    pic.write(0xa1, 0x28);
    pic.write(0xa1, 0x02);
    pic.write(0xa1, 0x01);
}

uint8_t read_isr(Pic8259Pair& pic, uint16_t command) {
    pic.write(command, 0x0b);  // OCW3: read ISR
    return pic.read(command);
}

uint8_t read_irr(Pic8259Pair& pic, uint16_t command) {
    pic.write(command, 0x0a);  // OCW3: read IRR
    return pic.read(command);
}

}  // namespace

TEST_CASE("soft chips: PIC init sequence, masks read back, IRR read through OCW3") {
    Pic8259Pair pic;
    for (uint16_t port : {0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1}) CHECK(pic.handles(port));
    CHECK_FALSE(pic.handles(0x22));
    linux_init(pic);
    CHECK(pic.read(0x21) == 0x00);  // ICW1 cleared the masks
    pic.write(0x21, 0xff);          // guest/ioapic.cpp's pic_disable
    pic.write(0xa1, 0xff);
    CHECK(pic.read(0x21) == 0xff);
    CHECK(pic.read(0xa1) == 0xff);

    pic.set_irq(1, true);
    pic.set_irq(12, true);
    CHECK(read_irr(pic, 0x20) == 0x02);  // masked requests are still recorded
    CHECK(read_irr(pic, 0xa0) == 0x10);
    CHECK(pic.read(0x20) == 0x02);  // the IRR stays selected
    CHECK_FALSE(pic.interrupt_pending());
    CHECK(read_isr(pic, 0x20) == 0x00);

    pic.write(0xa1, 0x00);  // the slave's request reaches the master's IR2
    CHECK(read_irr(pic, 0x20) == 0x06);
    CHECK_FALSE(pic.interrupt_pending());  // the master still masks it
}

TEST_CASE("soft chips: PIC acknowledge, priorities, cascade and EOI commands") {
    Pic8259Pair pic;
    linux_init(pic);
    CHECK(pic.acknowledge() == 0x27);  // nothing: spurious IR7

    pic.set_irq(3, true);
    REQUIRE(pic.interrupt_pending());
    CHECK(pic.acknowledge() == 0x23);
    CHECK(read_isr(pic, 0x20) == 0x08);
    CHECK(read_irr(pic, 0x20) == 0x00);  // edge request taken
    pic.set_irq(5, true);
    CHECK_FALSE(pic.interrupt_pending());  // IR3 in service holds IR5 off
    pic.set_irq(1, true);
    CHECK(pic.acknowledge() == 0x21);  // IR1 is above it
    pic.write(0x20, 0x20);             // non-specific EOI: IR1
    CHECK(read_isr(pic, 0x20) == 0x08);
    pic.write(0x20, 0x63);  // specific EOI for IR3
    CHECK(read_isr(pic, 0x20) == 0x00);
    CHECK(pic.acknowledge() == 0x25);
    pic.write(0x20, 0x20);

    pic.set_irq(9, true);  // on the slave: its vector, both chips in service
    CHECK(pic.acknowledge() == 0x29);
    CHECK(read_isr(pic, 0xa0) == 0x02);
    CHECK(read_isr(pic, 0x20) == 0x04);
    pic.write(0xa0, 0x20);
    pic.write(0x20, 0x20);
    CHECK(read_isr(pic, 0xa0) == 0x00);
    CHECK(read_isr(pic, 0x20) == 0x00);

    pic.set_irq(1, false);
    pic.write(0x20, 0xc4);  // set priority: IR4 lowest, so IR5 is now the highest
    pic.set_irq(0, true);
    pic.set_irq(6, true);
    CHECK(pic.acknowledge() == 0x26);
    pic.write(0x20, 0x0c);  // poll command: IR6 in service holds IR0 (now lower) off
    CHECK(pic.read(0x20) == 0x00);
    pic.write(0x20, 0x20);
    pic.write(0x20, 0x0c);  // after EOI: IR0, acknowledged by the poll
    CHECK(pic.read(0x20) == 0x80);
    CHECK(read_isr(pic, 0x20) == 0x01);
}

TEST_CASE("soft chips: PIC ELCR and level-triggered inputs") {
    Pic8259Pair pic;
    linux_init(pic);
    pic.write(0x4d0, 0xff);
    pic.write(0x4d1, 0xff);
    CHECK(pic.read(0x4d0) == 0xf8);  // IRQs 0-2 are edge-only
    CHECK(pic.read(0x4d1) == 0xde);  // and 8 and 13
    pic.set_irq(10, true);
    CHECK(read_irr(pic, 0xa0) == 0x04);
    pic.set_irq(10, false);  // a level request goes with its level
    CHECK(read_irr(pic, 0xa0) == 0x00);
    pic.set_irq(4, true);
    CHECK(pic.acknowledge() == 0x24);
    CHECK(read_irr(pic, 0x20) == 0x10);  // still asserted
    pic.write(0x20, 0x20);
    pic.set_irq(4, false);
    CHECK(read_irr(pic, 0x20) == 0x00);
}
