// The local APIC's timer (Intel SDM Vol. 3A §11.5.4): one-shot and periodic counts of the bus clock
// through the divider, and TSC-deadline mode (§11.5.4.1) with its MSR. Nothing ticks: the count is
// computed from the TimeSource when read, and expiries happen when the owner polls (or when a
// register write needs the timer brought up to date first). The rest of the APIC: local_apic.cpp.
#include "vmm/soft/local_apic.hpp"

namespace glassvm::soft {

uint64_t LocalApic::tsc_deadline() const {
    std::lock_guard lock(m_mutex);
    return timer_mode_locked() == TimerMode::TscDeadline ? m_tsc_deadline : 0;
}

// §11.5.4.1: a non-zero value arms the timer, 0 disarms it; outside TSC-deadline mode writes are
// ignored.
void LocalApic::set_tsc_deadline(uint64_t tsc) {
    {
        std::lock_guard lock(m_mutex);
        if (timer_mode_locked() != TimerMode::TscDeadline) return;
        m_tsc_deadline = tsc;
    }
    if (m_links.wake) m_links.wake();
}

// LVT timer bits 18:17: 00 one-shot, 01 periodic, 10 TSC-deadline (11 reserved: one-shot here).
LocalApic::TimerMode LocalApic::timer_mode_locked() const {
    switch ((m_lvt[kLvtTimer] >> 17) & 3) {
        case 1:
            return TimerMode::Periodic;
        case 2:
            return TimerMode::TscDeadline;
        default:
            return TimerMode::OneShot;
    }
}

// Figure 11-10: bits 3,1,0 = 111 divide by 1, otherwise by 2 << (those bits).
uint32_t LocalApic::divisor_locked() const {
    uint32_t code = ((m_divide >> 1) & 4) | (m_divide & 3);
    return code == 7 ? 1 : 2u << code;
}

static_assert(LocalApic::kBusFrequencyHz == 1'000'000'000, "a count takes `divisor` nanoseconds");

uint64_t LocalApic::timer_fire_ns_locked() const {
    return m_count_start_ns + uint64_t(m_initial_count - m_counted_at_start) * divisor_locked();
}

// The count goes down one per `divisor` bus clocks; periodic mode reloads it when it reaches 0.
uint32_t LocalApic::current_count_locked(uint64_t now) const {
    if (!m_timer_armed || timer_mode_locked() == TimerMode::TscDeadline) return 0;
    uint64_t counted = m_counted_at_start + (now - m_count_start_ns) / divisor_locked();
    if (counted < m_initial_count) return uint32_t(m_initial_count - counted);
    return timer_mode_locked() == TimerMode::Periodic ? uint32_t(m_initial_count - counted % m_initial_count) : 0;
}

// The expiries up to `now`: a one-shot count or TSC deadline disarms, a periodic count starts its
// next period (periods missed meanwhile make one interrupt, as the IRR would merge them anyway).
// The vector is raised unless the LVT masks it; a masked expiry is simply lost, as on hardware.
bool LocalApic::expire_timer_locked(uint64_t now) {
    if (timer_mode_locked() == TimerMode::TscDeadline) {
        if (m_tsc_deadline == 0 || m_time.tsc() < m_tsc_deadline) return false;
        m_tsc_deadline = 0;  // the MSR reads 0 once the deadline has passed
    } else {
        if (!m_timer_armed || now < timer_fire_ns_locked()) return false;
        if (timer_mode_locked() == TimerMode::Periodic) {
            uint64_t period = uint64_t(m_initial_count) * divisor_locked(), fire = timer_fire_ns_locked();
            m_count_start_ns = fire + (now - fire) / period * period;
            m_counted_at_start = 0;
        } else {
            m_timer_armed = false;
        }
    }
    uint32_t entry = m_lvt[kLvtTimer];
    if (entry & kLvtMasked) return false;
    raise_vector_locked(uint8_t(entry), false);  // the timer is edge-triggered
    return true;
}

std::optional<uint64_t> LocalApic::timer_deadline_ns() const {
    std::lock_guard lock(m_mutex);
    if (m_lvt[kLvtTimer] & kLvtMasked) return std::nullopt;  // an expiry would change nothing that shows
    if (timer_mode_locked() != TimerMode::TscDeadline) {
        if (!m_timer_armed) return std::nullopt;
        return timer_fire_ns_locked();
    }
    if (m_tsc_deadline == 0) return std::nullopt;
    uint64_t now = m_time.now_ns(), tsc = m_time.tsc(), khz = m_time.tsc_khz();
    if (tsc >= m_tsc_deadline || khz == 0) return now;
    // Rounded up, so that polling at the deadline finds the TSC there.
    return now + uint64_t(((unsigned __int128)(m_tsc_deadline - tsc) * 1'000'000 + khz - 1) / khz);
}

bool LocalApic::poll_timer() {
    bool fired;
    {
        std::lock_guard lock(m_mutex);
        fired = expire_timer_locked(m_time.now_ns());
    }
    if (fired && m_links.wake) m_links.wake();
    return fired;
}

}  // namespace glassvm::soft
