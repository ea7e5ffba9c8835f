// The PC's two 8259A programmable interrupt controllers (Intel 8259A datasheet, 231468), master
// at ports 0x20/0x21 and slave at 0xa0/0xa1 cascaded on the master's IR2, plus the edge/level
// control registers (ELCR) at 0x4d0/0x4d1 that PC chipsets add beside them.
//
// glassvm's soft machine leaves the pair's output unconnected: interrupts reach the CPUs through
// the I/O APIC, and guests (ours in guest/ioapic.cpp, Linux once it finds an I/O APIC) mask every
// 8259 line. So the pair is register-accurate for such guests: the ICW1-ICW4 initialization
// sequence, OCW1's mask, OCW2's EOI and priority commands, OCW3's IRR/ISR read select, special
// mask and poll commands, and IRR following set_irq(). acknowledge() is the INTA cycle a CPU
// would run, for the day the output is wired (and for the tests of ISR and EOI).
//
// Not modelled: the 8080/8085 call address interval (ICW1 bit 2), buffered mode and special
// fully nested mode (ICW4 bits 2-4 are held for nothing). IRQ 2 is the cascade: set_irq(2, ...)
// is ignored, the slave's INT drives the master's IR2.
//
// Thread safety: every member may be called from any thread; one mutex guards both chips.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>

namespace glassvm::soft {

class Pic8259Pair {
public:
    uint8_t read(uint16_t port);
    void write(uint16_t port, uint8_t value);
    void set_irq(uint32_t irq, bool high);  // IRQs 0-7 on the master, 8-15 on the slave
    bool handles(uint16_t port) const;      // 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1

    // The master's INT output: an unmasked request of higher priority than any in service.
    bool interrupt_pending() const;
    // The INTA cycle: the vector of the highest-priority request, now in service (unless auto-EOI);
    // with nothing to serve, the spurious IR7 vector, as the datasheet says.
    uint8_t acknowledge();

    struct Chip {
        uint8_t irr = 0, isr = 0, imr = 0;
        uint8_t lines = 0;  // the inputs' levels
        uint8_t elcr = 0;   // 1 = level-triggered input (the chipset's ELCR)
        uint8_t vector_base = 0, icw3 = 0, icw4 = 0;
        int expecting_icw = 0;  // 2, 3 or 4 during initialization, else 0
        bool single = false, needs_icw4 = false, level_mode = false;
        bool read_isr = false, poll = false, special_mask = false, rotate_on_auto_eoi = false;
        uint8_t lowest_priority = 7;  // IR7 lowest at initialization; rotation moves it
    };

private:
    void update_cascade_locked();

    mutable std::mutex m_mutex;
    std::array<Chip, 2> m_chips;  // master, slave
};

}  // namespace glassvm::soft
