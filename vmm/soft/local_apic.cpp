// The local APIC (local_apic.hpp); the section numbers are Intel SDM Vol. 3A chapter 11's.
#include "vmm/soft/local_apic.hpp"

#include <bit>
#include <utility>

namespace glassvm::soft {
namespace {

// Register offsets (Table 11-1 "Local APIC Register Address Map").
constexpr uint32_t kId = 0x020, kVersion = 0x030, kTpr = 0x080, kApr = 0x090, kPpr = 0x0a0, kEoi = 0x0b0;
constexpr uint32_t kLdr = 0x0d0, kDfr = 0x0e0, kSvr = 0x0f0;
constexpr uint32_t kIsr = 0x100, kTmr = 0x180, kIrr = 0x200;  // eight registers each, 0x10 apart
constexpr uint32_t kEsr = 0x280, kLvtCmciRegister = 0x2f0, kIcrLow = 0x300, kIcrHigh = 0x310;
constexpr uint32_t kLvtTimerRegister = 0x320;  // then thermal, perf, LINT0, LINT1, error, 0x10 apart
constexpr uint32_t kInitialCount = 0x380, kCurrentCount = 0x390, kDivide = 0x3e0;

// Version 0x14 (an integrated xAPIC), max LVT entry 5 (six entries: timer to error), no
// EOI-broadcast suppression (bit 24 clear) — what KVM reports (§11.4.8, Figure 11-7).
constexpr uint32_t kVersionValue = 0x0005'0014;
constexpr uint32_t kSvrEnable = 1u << 8;  // APIC software enable (§11.9, Figure 11-23)
// What each LVT entry holds (Figure 11-8): the rest is reserved or read-only (delivery status,
// LINT's remote IRR), and reads 0 because nothing here is ever pending delivery.
constexpr uint32_t kLvtWritable[] = {
    0x0001'07ff,  // CMCI: vector, delivery mode, mask
    0x0007'00ff,  // timer: vector, mask, timer mode 18:17
    0x0001'07ff,  // thermal
    0x0001'07ff,  // performance counters
    0x0001'a7ff,  // LINT0: also pin polarity (13) and trigger mode (15)
    0x0001'a7ff,  // LINT1
    0x0001'00ff,  // error: vector, mask
};
constexpr uint32_t kIcrLowWritable = 0x000c'cfff;  // all of Figure 11-12's low half but delivery status
// ESR bits (§11.5.3, Figure 11-9).
constexpr uint32_t kSendIllegalVector = 1u << 5, kReceiveIllegalVector = 1u << 6;

bool test(const std::array<uint32_t, 8>& bits, uint8_t vector) { return bits[vector / 32] >> (vector % 32) & 1; }
void set(std::array<uint32_t, 8>& bits, uint8_t vector) { bits[vector / 32] |= 1u << (vector % 32); }
void clear(std::array<uint32_t, 8>& bits, uint8_t vector) { bits[vector / 32] &= ~(1u << (vector % 32)); }
// The highest vector set, if any: the highest priority, as priority grows with the vector (§11.8.3).
std::optional<uint8_t> highest(const std::array<uint32_t, 8>& bits) {
    for (int word = 7; word >= 0; --word)
        if (bits[word]) return uint8_t(word * 32 + 31 - std::countl_zero(bits[word]));
    return std::nullopt;
}

}  // namespace

LocalApic::LocalApic(uint32_t apic_id, const TimeSource& time, LocalApicLinks links)
        : m_id(apic_id), m_time(time), m_links(std::move(links)) {
    reset_locked();  // no other thread can see this APIC yet
}

// §11.4.7.1 "Local APIC State After Power-Up or Reset", which §11.4.7.3 also applies after INIT.
void LocalApic::reset_locked() {
    m_tpr = m_ldr = m_esr = m_esr_pending = m_icr_low = m_icr_high = m_divide = 0;
    m_dfr = 0xffff'ffff;  // flat model
    m_svr = 0xff;         // spurious vector 0xff, software-disabled
    m_lvt.fill(kLvtMasked);
    m_irr = m_isr = m_tmr = Bitmap{};
    m_timer_armed = false;
    m_initial_count = m_counted_at_start = 0;
    m_tsc_deadline = 0;
}

void LocalApic::reset_for_init() {
    std::lock_guard lock(m_mutex);
    reset_locked();
}

uint32_t LocalApic::read(uint32_t offset) {
    std::lock_guard lock(m_mutex);
    return read_locked(offset);
}

uint32_t LocalApic::read_locked(uint32_t offset) const {
    if (offset % 16 != 0 || offset >= 0x1000) return 0;
    if (offset >= kIsr && offset < kIsr + 0x80) return m_isr[(offset - kIsr) / 16];
    if (offset >= kTmr && offset < kTmr + 0x80) return m_tmr[(offset - kTmr) / 16];
    if (offset >= kIrr && offset < kIrr + 0x80) return m_irr[(offset - kIrr) / 16];
    if (offset >= kLvtTimerRegister && offset < kInitialCount)
        return m_lvt[kLvtTimer + (offset - kLvtTimerRegister) / 16];
    switch (offset) {
        case kId:
            return m_id << 24;
        case kVersion:
            return kVersionValue;
        case kTpr:
            return m_tpr;
        case kApr:
            return 0;  // arbitration priority: no APIC-bus arbitration here
        case kPpr:
            return ppr_locked();
        case kLdr:
            return m_ldr;
        case kDfr:
            return m_dfr;
        case kSvr:
            return m_svr;
        case kEsr:
            return m_esr;
        case kLvtCmciRegister:
            return m_lvt[kLvtCmci];
        case kIcrLow:
            return m_icr_low;  // delivery status (bit 12) 0: delivery is immediate
        case kIcrHigh:
            return m_icr_high;
        case kInitialCount:
            return m_initial_count;
        case kCurrentCount:
            return current_count_locked(m_time.now_ns());
        case kDivide:
            return m_divide;
        default:
            return 0;  // EOI is write-only; the rest is reserved
    }
}

void LocalApic::write(uint32_t offset, uint32_t value) {
    std::optional<uint8_t> eoi_vector;    // a level-triggered interrupt retired
    std::optional<InterruptMessage> ipi;  // an ICR write
    bool timer_changed = false;           // the owner's timer must look again
    {
        std::lock_guard lock(m_mutex);
        uint64_t now = m_time.now_ns();
        // Whatever fell due before this write happened first (a timer interrupt under the old LVT).
        timer_changed = expire_timer_locked(now);
        if (offset % 16 != 0 || offset >= 0x1000) offset = 0;  // not a register: ignored like reserved 0
        if (offset >= kLvtTimerRegister && offset < kInitialCount) {
            int index = kLvtTimer + int(offset - kLvtTimerRegister) / 16;
            TimerMode old_mode = timer_mode_locked();
            value &= kLvtWritable[index];
            if (!(m_svr & kSvrEnable)) value |= kLvtMasked;  // §11.4.7.2: masks stay set while disabled
            m_lvt[index] = value;
            // §11.5.4.1: a change to or from TSC-deadline mode disarms the timer.
            if (index == kLvtTimer &&
                (old_mode == TimerMode::TscDeadline) != (timer_mode_locked() == TimerMode::TscDeadline)) {
                m_timer_armed = false;
                m_initial_count = 0;
                m_tsc_deadline = 0;
            }
            timer_changed = timer_changed || index == kLvtTimer;
        }
        switch (offset) {
            case kTpr:
                m_tpr = value & 0xff;
                break;
            case kEoi:  // §11.8.5: retires the highest-priority interrupt in service, whatever is written
                if (auto vector = highest(m_isr)) {
                    clear(m_isr, *vector);
                    if (test(m_tmr, *vector)) eoi_vector = vector;  // level-triggered: tell the I/O APIC
                }
                break;
            case kLdr:
                m_ldr = value & 0xff00'0000;
                break;
            case kDfr:
                m_dfr = (value & 0xf000'0000) | 0x0fff'ffff;
                break;
            case kSvr:
                // Bits 7:0 spurious vector, 8 enable, 9 focus checking; EOI-broadcast suppression (12)
                // is not offered (version bit 24 clear).
                m_svr = value & 0x3ff;
                if (!(m_svr & kSvrEnable))
                    for (uint32_t& entry : m_lvt) entry |= kLvtMasked;  // §11.4.7.2
                timer_changed = true;
                break;
            case kEsr:  // §11.5.3: a write makes the errors seen since the last write readable
                m_esr = m_esr_pending;
                m_esr_pending = 0;
                break;
            case kLvtCmciRegister:
                m_lvt[kLvtCmci] = (value & kLvtWritable[kLvtCmci]) | (m_svr & kSvrEnable ? 0 : kLvtMasked);
                break;
            case kIcrHigh:
                m_icr_high = value & 0xff00'0000;
                break;
            case kIcrLow: {
                m_icr_low = value & kIcrLowWritable;
                InterruptMessage message;
                message.vector = uint8_t(value);
                message.delivery = DeliveryMode((value >> 8) & 7);
                message.logical_destination = value >> 11 & 1;
                message.assert_level = value >> 14 & 1;
                message.level_triggered = value >> 15 & 1;
                message.shorthand = Shorthand((value >> 18) & 3);
                message.destination = uint8_t(m_icr_high >> 24);
                message.source_apic_id = m_id;
                bool by_vector =
                    message.delivery == DeliveryMode::Fixed || message.delivery == DeliveryMode::LowestPriority;
                if (by_vector && message.vector < 16)
                    raise_error_locked(kSendIllegalVector);  // §11.5.3: not sent
                else if (uint8_t(message.delivery) != 3)     // 011 is reserved
                    ipi = message;
                break;
            }
            case kInitialCount:
                // Writing starts (or, with 0, stops) the count; in TSC-deadline mode it is ignored.
                if (timer_mode_locked() == TimerMode::TscDeadline) break;
                m_initial_count = value;
                m_timer_armed = value != 0;
                m_count_start_ns = now;
                m_counted_at_start = 0;
                timer_changed = true;
                break;
            case kDivide: {
                // The count goes on from where it is at the new rate (Figure 11-10: bits 0, 1 and 3).
                uint32_t current = current_count_locked(now);
                m_divide = value & 0xb;
                if (m_timer_armed && timer_mode_locked() != TimerMode::TscDeadline) {
                    m_count_start_ns = now;
                    m_counted_at_start = m_initial_count - current;
                }
                timer_changed = true;
                break;
            }
            default:
                break;  // read-only or reserved: ignored (ID too, so routing never changes)
        }
    }
    if (ipi && m_links.send) m_links.send(*ipi);
    if (eoi_vector && m_links.end_of_interrupt) m_links.end_of_interrupt(*eoi_vector);
    if (timer_changed && m_links.wake) m_links.wake();
}

uint64_t LocalApic::apic_base_msr() const { return kBase | 1u << 11 | (m_id == 0 ? 1u << 8 : 0); }

void LocalApic::accept(const InterruptMessage& message) {
    {
        std::lock_guard lock(m_mutex);
        switch (message.delivery) {
            case DeliveryMode::Fixed:
            case DeliveryMode::LowestPriority:  // the machine already chose this APIC among the destinations
                // §11.4.7.2: a software-disabled APIC takes INIT, NMI, SMI and SIPI, not these.
                if (!(m_svr & kSvrEnable)) return;
                raise_vector_locked(message.vector, message.level_triggered);
                break;
            case DeliveryMode::Init:
                // An "INIT level de-assert" only synchronises arbitration ids (§11.6.1): no reset.
                if (message.level_triggered && !message.assert_level) return;
                m_init_pending = true;
                break;
            case DeliveryMode::StartUp:
                m_startup_vector = message.vector;
                break;
            case DeliveryMode::Nmi:
                m_nmi_pending = true;
                break;
            default:
                return;  // SMI (no SMM here) and ExtINT (no 8259 output is wired)
        }
    }
    if (m_links.wake) m_links.wake();
}

// §11.6.2: physical (an id or the 0xff broadcast) and logical (flat or cluster model, Figure
// 11-14) destinations, or a shorthand relative to the sender (§11.6.1).
bool LocalApic::is_destination(const InterruptMessage& message) const {
    switch (message.shorthand) {
        case Shorthand::Self:
            return message.source_apic_id == m_id;
        case Shorthand::AllIncludingSelf:
            return true;
        case Shorthand::AllExcludingSelf:
            return message.source_apic_id != m_id;
        case Shorthand::None:
            break;
    }
    uint8_t destination = message.destination;
    if (destination == 0xff) return true;  // broadcast, physical or logical
    if (!message.logical_destination) return destination == (m_id & 0xff);
    std::lock_guard lock(m_mutex);
    uint8_t logical_id = uint8_t(m_ldr >> 24);
    if ((m_dfr >> 28) == 0xf) return (logical_id & destination) != 0;  // flat: a bit per APIC
    // Cluster: the high nibble names the cluster, the low one a bit per APIC in it.
    return (logical_id >> 4) == (destination >> 4) && (logical_id & destination & 0xf) != 0;
}

// §11.8.3.1: the processor priority is the task priority, or the class of the highest interrupt in
// service when that is higher.
uint32_t LocalApic::ppr_locked() const {
    uint32_t in_service = highest(m_isr).value_or(0);
    return (m_tpr >> 4) >= (in_service >> 4) ? m_tpr : (in_service & 0xf0);
}

// §11.8.3: the highest pending vector goes to the processor when its class is above the processor
// priority's. A software-disabled APIC accepts no new fixed interrupts (accept()), but what is
// already in its IRR is "held and requires handling by the CPU" (§11.4.7.2), so it is offered.
std::optional<uint8_t> LocalApic::deliverable_vector() const {
    std::lock_guard lock(m_mutex);
    auto vector = highest(m_irr);
    if (vector && (*vector >> 4) > (ppr_locked() >> 4)) return vector;
    return std::nullopt;
}

void LocalApic::start_service(uint8_t vector) {
    std::lock_guard lock(m_mutex);
    if (!test(m_irr, vector)) return;
    clear(m_irr, vector);
    set(m_isr, vector);
}

bool LocalApic::take_init() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_init_pending, false);
}

std::optional<uint8_t> LocalApic::take_startup() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_startup_vector, std::nullopt);
}

bool LocalApic::take_nmi() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_nmi_pending, false);
}

// A fixed interrupt arrives (§11.8.4): its IRR bit is set (a second one before service merges with
// the first), and its TMR bit says whether its EOI must reach the I/O APIC. Vectors 0-15 are
// illegal (§11.5.2): an error instead.
void LocalApic::raise_vector_locked(uint8_t vector, bool level_triggered) {
    if (vector < 16) return raise_error_locked(kReceiveIllegalVector);
    set(m_irr, vector);
    level_triggered ? set(m_tmr, vector) : clear(m_tmr, vector);
}

// §11.5.3: an error is recorded for the next ESR write, and raises the error LVT's vector.
void LocalApic::raise_error_locked(uint32_t bit) {
    m_esr_pending |= bit;
    uint32_t entry = m_lvt[kLvtError];
    if (!(entry & kLvtMasked) && (entry & 0xff) >= 16) set(m_irr, uint8_t(entry));
}

}  // namespace glassvm::soft
