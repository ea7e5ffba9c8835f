// The I/O APIC (Intel 82093AA datasheet) for the soft backend: 24 interrupt pins, each with a
// 64-bit redirection table entry that turns the pin's signal into an InterruptMessage for the
// local APICs. Software reaches the registers through an index/data pair at 0xfec00000 (§3.0):
// IOREGSEL at offset 0x00 selects, IOWIN at 0x10 reads or writes the selected register.
//
// Pin levels are logical: set_irq(pin, true) means the device asserts its interrupt. The polarity
// bit (13) describes the wiring and is only held for read-back, as KVM's and QEMU's I/O APICs do.
// Masked pins (§3.2.4, bit 16): an edge while masked is lost; a level-triggered pin that is still
// asserted when it is unmasked delivers then, because its level is still there to be seen (the
// datasheet's "no side effects": nothing is latched while masked).
//
// Thread safety: every member may be called from any thread; `deliver` is called without the
// lock held, so it may call straight back into this I/O APIC.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "vmm/soft/interrupt_message.hpp"

namespace glassvm::soft {

class IoApic {
public:
    static constexpr uint64_t kBase = 0xfec0'0000;
    static constexpr int kPins = 24;

    explicit IoApic(std::function<void(const InterruptMessage&)> deliver);

    // MMIO within the window: IOREGSEL 0x00, IOWIN 0x10, and the EOI register 0x40 of later
    // versions (0x20), accepted for guests that use it; other offsets read 0 and ignore writes.
    uint32_t read(uint32_t offset);
    void write(uint32_t offset, uint32_t value);

    // A device's line: edge-triggered pins deliver on a rising edge, level-triggered ones while
    // asserted and their remote IRR is clear.
    void set_irq(uint32_t pin, bool high);
    // A local APIC's EOI of a level-triggered `vector`: clears the remote IRR of the level pins
    // with that vector, and delivers again for those still asserted.
    void end_of_interrupt(uint8_t vector);

private:
    using Messages = std::vector<InterruptMessage>;
    uint32_t read_register_locked(uint32_t index) const;
    void write_register_locked(uint32_t index, uint32_t value, Messages& out);
    // Delivers pin's interrupt if a level-triggered pin should (asserted, unmasked, no remote IRR).
    void service_level_locked(int pin, Messages& out);
    InterruptMessage message_locked(int pin) const;
    void deliver_all(const Messages& messages);

    const std::function<void(const InterruptMessage&)> m_deliver;
    mutable std::mutex m_mutex;
    uint32_t m_select = 0;
    uint32_t m_id = 0;  // bits 27:24
    std::array<uint64_t, kPins> m_redirection{};
    std::array<bool, kPins> m_line{};  // each pin's asserted level
};

}  // namespace glassvm::soft
