// The I/O APIC (io_apic.hpp); section numbers are the 82093AA datasheet's.
#include "vmm/soft/io_apic.hpp"

#include "base/error.hpp"

namespace glassvm::soft {
namespace {

constexpr uint32_t kSelectOffset = 0x00, kWindowOffset = 0x10, kEoiOffset = 0x40;
// Register indexes (§3.1, Table 2).
constexpr uint32_t kIdRegister = 0x00, kVersionRegister = 0x01, kArbitrationRegister = 0x02;
constexpr uint32_t kRedirectionTable = 0x10;  // entry N: 0x10 + 2N (bits 31:0), 0x11 + 2N (63:32)
// Version 0x11, maximum redirection entry 23 (§3.2.2).
constexpr uint32_t kVersionValue = uint32_t(IoApic::kPins - 1) << 16 | 0x11;

// Redirection entry fields (§3.2.4).
// Delivery status (bit 12) always reads 0: delivery is immediate.
constexpr uint64_t kRemoteIrr = 1ull << 14;  // read-only: a level interrupt is being serviced
constexpr uint64_t kLevelTriggered = 1ull << 15;
constexpr uint64_t kMasked = 1ull << 16;
// Vector, delivery mode, destination mode, polarity, trigger mode, mask; destination 63:56.
constexpr uint64_t kWritable = 0xff00'0000'0001'afffull;

}  // namespace

IoApic::IoApic(std::function<void(const InterruptMessage&)> deliver) : m_deliver(std::move(deliver)) {
    if (!m_deliver) throw Error(ErrorKind::Internal, "IoApic needs a deliver callback");
    m_redirection.fill(kMasked);  // §3.2.4: every entry masked at reset
}

uint32_t IoApic::read(uint32_t offset) {
    std::lock_guard lock(m_mutex);
    if (offset == kSelectOffset) return m_select;
    if (offset == kWindowOffset) return read_register_locked(m_select);
    return 0;
}

void IoApic::write(uint32_t offset, uint32_t value) {
    if (offset == kEoiOffset) return end_of_interrupt(uint8_t(value));  // bits 7:0: the vector
    Messages out;
    {
        std::lock_guard lock(m_mutex);
        if (offset == kSelectOffset) {
            m_select = value & 0xff;  // IOREGSEL bits 7:0
        } else if (offset == kWindowOffset) {
            write_register_locked(m_select, value, out);
        }
    }
    deliver_all(out);
}

uint32_t IoApic::read_register_locked(uint32_t index) const {
    switch (index) {
        case kIdRegister:
            return m_id;
        case kVersionRegister:
            return kVersionValue;
        case kArbitrationRegister:
            return m_id;  // §3.2.3: loaded with the ID; no bus arbitration here
    }
    if (index >= kRedirectionTable && index < kRedirectionTable + 2 * kPins) {
        uint64_t entry = m_redirection[(index - kRedirectionTable) / 2];
        return index % 2 == 0 ? uint32_t(entry) : uint32_t(entry >> 32);
    }
    return 0;
}

void IoApic::write_register_locked(uint32_t index, uint32_t value, Messages& out) {
    if (index == kIdRegister) {
        m_id = value & 0x0f00'0000;  // §3.2.1: bits 27:24
        return;
    }
    if (index < kRedirectionTable || index >= kRedirectionTable + 2 * kPins) return;  // read-only or none
    int pin = int(index - kRedirectionTable) / 2;
    uint64_t& entry = m_redirection[pin];
    uint64_t written =
        index % 2 == 0 ? (entry & ~0xffff'ffffull) | value : (entry & 0xffff'ffffull) | uint64_t(value) << 32;
    entry = (written & kWritable) | (entry & kRemoteIrr);
    // Remote IRR means nothing for an edge-triggered pin: switching to edge clears it (as KVM does).
    if (!(entry & kLevelTriggered)) entry &= ~kRemoteIrr;
    service_level_locked(pin, out);  // e.g. a level pin unmasked while asserted
}

InterruptMessage IoApic::message_locked(int pin) const {
    uint64_t entry = m_redirection[pin];
    InterruptMessage message;
    message.vector = uint8_t(entry);
    message.delivery = DeliveryMode((entry >> 8) & 7);
    message.logical_destination = entry >> 11 & 1;
    message.level_triggered = entry & kLevelTriggered;
    message.destination = uint8_t(entry >> 56);
    return message;
}

void IoApic::service_level_locked(int pin, Messages& out) {
    uint64_t& entry = m_redirection[pin];
    if (!(entry & kLevelTriggered) || !m_line[pin] || (entry & (kMasked | kRemoteIrr))) return;
    // Remote IRR stays set until the local APIC's EOI for this vector (§3.2.4, bit 14). Only
    // fixed and lowest-priority messages are EOI'd; for the others it would never clear.
    DeliveryMode mode = DeliveryMode((entry >> 8) & 7);
    if (mode == DeliveryMode::Fixed || mode == DeliveryMode::LowestPriority) entry |= kRemoteIrr;
    out.push_back(message_locked(pin));
}

void IoApic::set_irq(uint32_t pin, bool high) {
    if (pin >= uint32_t(kPins)) return;
    Messages out;
    {
        std::lock_guard lock(m_mutex);
        bool rising = high && !m_line[pin];
        m_line[pin] = high;
        uint64_t entry = m_redirection[pin];
        if (entry & kLevelTriggered)
            service_level_locked(int(pin), out);
        else if (rising && !(entry & kMasked))
            out.push_back(message_locked(int(pin)));
    }
    deliver_all(out);
}

void IoApic::end_of_interrupt(uint8_t vector) {
    Messages out;
    {
        std::lock_guard lock(m_mutex);
        for (int pin = 0; pin < kPins; ++pin) {
            uint64_t& entry = m_redirection[pin];
            if (!(entry & kRemoteIrr) || uint8_t(entry) != vector) continue;
            entry &= ~kRemoteIrr;
            service_level_locked(pin, out);  // still asserted: the device wants service again
        }
    }
    deliver_all(out);
}

void IoApic::deliver_all(const Messages& messages) {
    for (const InterruptMessage& message : messages) m_deliver(message);
}

}  // namespace glassvm::soft
