// A local APIC in xAPIC mode (Intel SDM Vol. 3A chapter 11), for the soft backend, where no kernel
// keeps one: the 4 KiB register page at 0xfee00000, IA32_APIC_BASE and IA32_TSC_DEADLINE, the
// IRR/ISR/TMR bookkeeping and priorities (§11.8), IPIs through the ICR (§11.6), INIT/SIPI/NMI
// latched for the vCPU, and the timer in one-shot, periodic and TSC-deadline modes (§11.5.4).
//
// Not modelled: x2APIC, the hardware-disable bit of IA32_APIC_BASE (the base MSR reads as enabled
// at 0xfee00000 and ignores writes), focus processor checking, EOI-broadcast suppression,
// machine-check/thermal/performance interrupts (their LVT entries only hold what is written),
// and LINT0/LINT1 inputs (nothing drives them: the soft machine routes everything through the
// I/O APIC). A write to the ID register is ignored, so the machine's routing never changes. The
// spurious vector (SVR bits 7:0) is only held: the vCPU chooses (deliverable_vector) and takes
// (start_service) an interrupt itself, so no acknowledgement ever finds its interrupt gone.
//
// Thread safety: every member may be called from any thread (the vCPU, the machine's device
// threads, the timer thread); one mutex per APIC guards the registers, and the links are always
// called after it is released, so a link may call straight back into any APIC.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "vmm/soft/interrupt_message.hpp"
#include "vmm/soft/time_source.hpp"

namespace glassvm::soft {

struct LocalApicLinks {
    std::function<void(const InterruptMessage&)> send;     // an ICR write: the machine routes it to APICs
    std::function<void(uint8_t vector)> end_of_interrupt;  // EOI of a level-triggered vector: to the I/O APIC
    // Something became pending (interrupt, INIT, SIPI, NMI) or the timer was reprogrammed: the
    // vCPU (or its timer thread) must look. Called from any thread, without the APIC's lock held.
    std::function<void()> wake;
};

class LocalApic {
public:
    static constexpr uint64_t kBase = 0xfee0'0000;
    // The timer's input clock before the divider ("bus clock", §11.5.4): 1 GHz, as KVM's, so one
    // count at divide-by-1 is one nanosecond. The soft CPUID states it in leaf 0x40000010.
    static constexpr uint64_t kBusFrequencyHz = 1'000'000'000;

    LocalApic(uint32_t apic_id, const TimeSource& time, LocalApicLinks links);

    // The vCPU's own register accesses: `offset` within the 4 KiB page; registers are 32 bits on
    // 16-byte boundaries (Table 11-1); other offsets read 0 and ignore writes.
    uint32_t read(uint32_t offset);
    void write(uint32_t offset, uint32_t value);

    // IA32_TSC_DEADLINE (MSR 0x6e0) and IA32_APIC_BASE (MSR 0x1b) as rdmsr/wrmsr see them.
    uint64_t tsc_deadline() const;
    void set_tsc_deadline(uint64_t tsc);
    uint64_t apic_base_msr() const;  // 0xfee00000 | enable (bit 11) | BSP (bit 8) for APIC id 0

    // From the machine: a message addressed to this APIC (is_destination said so).
    void accept(const InterruptMessage& message);
    bool is_destination(const InterruptMessage& message) const;

    // The vCPU at an instruction boundary with RFLAGS.IF set: the vector to take now, if any.
    std::optional<uint8_t> deliverable_vector() const;
    // The vCPU delivered `vector` through its IDT: IRR -> ISR (§11.8.4).
    void start_service(uint8_t vector);

    // Latched events for the vCPU, each reported once.
    bool take_init();
    std::optional<uint8_t> take_startup();
    bool take_nmi();

    // The timer: when it next fires (TimeSource::now_ns scale; nothing while it cannot raise an
    // interrupt), and firing it when due (returns whether it raised its vector).
    std::optional<uint64_t> timer_deadline_ns() const;
    bool poll_timer();

    // The vCPU took an INIT: the state after INIT (§11.4.7.3), APIC id kept. A SIPI or NMI already
    // latched stays for the vCPU to take.
    void reset_for_init();

    uint32_t apic_id() const { return m_id; }

private:
    using Bitmap = std::array<uint32_t, 8>;  // 256 vectors, as ISR/TMR/IRR's eight registers
    enum Lvt {
        kLvtCmci,
        kLvtTimer,
        kLvtThermal,
        kLvtPerf,
        kLvtLint0,
        kLvtLint1,
        kLvtError,
        kLvtCount
    };
    enum class TimerMode {
        OneShot,
        Periodic,
        TscDeadline
    };
    static constexpr uint32_t kLvtMasked = 1u << 16;  // LVT entries' mask bit (Figure 11-8)

    // All *_locked members expect m_mutex held.
    void reset_locked();
    uint32_t read_locked(uint32_t offset) const;
    uint32_t ppr_locked() const;
    void raise_vector_locked(uint8_t vector, bool level_triggered);
    void raise_error_locked(uint32_t bit);
    TimerMode timer_mode_locked() const;
    uint32_t divisor_locked() const;
    uint64_t timer_fire_ns_locked() const;  // when the armed timer expires
    uint32_t current_count_locked(uint64_t now) const;
    bool expire_timer_locked(uint64_t now);  // brings the timer up to `now`; true: raised
    void start_count_locked(uint64_t now, uint32_t count);

    const uint32_t m_id;
    const TimeSource& m_time;
    const LocalApicLinks m_links;

    mutable std::mutex m_mutex;
    uint32_t m_tpr = 0, m_ldr = 0, m_dfr = 0, m_svr = 0, m_esr = 0, m_esr_pending = 0;
    uint32_t m_icr_low = 0, m_icr_high = 0, m_divide = 0;
    std::array<uint32_t, kLvtCount> m_lvt{};
    Bitmap m_irr{}, m_isr{}, m_tmr{};
    // The timer's count: armed, counting down from `m_initial_count`, of which `m_counted_at_start`
    // were already counted at `m_count_start_ns` (non-zero after a divide change mid-count); or,
    // in TSC-deadline mode, armed until the TSC reaches m_tsc_deadline.
    bool m_timer_armed = false;
    uint32_t m_initial_count = 0, m_counted_at_start = 0;
    uint64_t m_count_start_ns = 0;
    uint64_t m_tsc_deadline = 0;
    // Latched for the vCPU.
    bool m_init_pending = false, m_nmi_pending = false;
    std::optional<uint8_t> m_startup_vector;
};

}  // namespace glassvm::soft
