// HaltWatch: rounds, check-ins and the exact all-asleep decision; the monitor's backoff loop.
#include "vmm/run/halt_watch.hpp"

#include <time.h>

#include <algorithm>
#include <vector>

#include "vmm/run/vcpu_runner.hpp"

namespace glassvm {

namespace {

constexpr std::chrono::milliseconds kFirstInterval{1};
constexpr std::chrono::milliseconds kLongestInterval{50};
constexpr uint64_t kInterruptFlag = 1u << 9;  // RFLAGS.IF

}  // namespace

HaltWatch::HaltWatch(size_t vcpu_count)
        : m_vcpu_count(vcpu_count), m_requests(std::make_unique<std::atomic<uint64_t>[]>(vcpu_count)) {}

void HaltWatch::begin_round() {
    uint64_t round;
    {
        std::scoped_lock lock(m_mutex);
        round = ++m_round;
        m_asleep = 0;
        m_settled = false;
    }
    m_changed.notify_all();
    for (size_t i = 0; i < m_vcpu_count; ++i) m_requests[i].store(round, std::memory_order_release);
}

std::optional<uint64_t> HaltWatch::take_request(size_t vcpu) {
    uint64_t round = m_requests[vcpu].exchange(0, std::memory_order_acq_rel);
    if (round == 0) return std::nullopt;
    return round;
}

HaltWatch::Verdict HaltWatch::check_in(uint64_t round, bool asleep) {
    std::unique_lock lock(m_mutex);
    if (settled(round)) return Verdict::Resume;
    if (!asleep) {
        m_settled = true;  // this vCPU runs: the round cannot end the VM
        lock.unlock();
        m_changed.notify_all();
        return Verdict::Resume;
    }
    if (++m_asleep == m_vcpu_count) return Verdict::LastAsleep;
    m_changed.wait(lock, [&] { return settled(round); });
    return Verdict::Resume;
}

void HaltWatch::conclude() {
    {
        std::scoped_lock lock(m_mutex);
        m_settled = true;
    }
    m_changed.notify_all();
}

void HaltWatch::close() {
    {
        std::scoped_lock lock(m_mutex);
        m_closed = true;
    }
    m_changed.notify_all();
}

bool asleep_for_good(const VirtualCpu& vcpu) {
    std::optional<ProcessorState> state = vcpu.processor_state();
    if (!state) return false;  // the accelerator runs no HLT itself: HLT arrives as an exit
    // An application processor the guest never started: it is created waiting for INIT, and
    // after INIT it waits for a SIPI (SDM Vol. 3A §9.4, §8.4.1).
    if (*state == ProcessorState::WaitingForInit || *state == ProcessorState::WaitingForSipi) return true;
    return *state == ProcessorState::Halted && (vcpu.regs().rflags & kInterruptFlag) == 0;
}

namespace {

// The CPU time a vCPU thread has used (guest time included: the guest runs on that thread inside
// KVM_RUN), or nullopt when it cannot be read.
std::optional<uint64_t> cpu_time(pthread_t thread) {
    clockid_t clock;
    timespec time{};
    if (::pthread_getcpuclockid(thread, &clock) != 0 || ::clock_gettime(clock, &time) != 0) return std::nullopt;
    return uint64_t(time.tv_sec) * 1'000'000'000 + uint64_t(time.tv_nsec);
}

// A vCPU thread counts as idle when it used less than this share of the time since the last
// look. Not "none at all": a vCPU halted with IF = 0 whose local APIC timer still fires is woken
// by KVM at every tick (to find it still cannot take the interrupt) and uses a little CPU time,
// ~0.1 % at 100 Hz, yet is asleep for good. A busy vCPU uses ~100 %, an idle guest's CPU (halted
// with IF = 1, taking its ticks) a few %: the latter gets a round (a kick) per look, as before.
constexpr uint64_t kIdleShareDivisor = 20;  // 5 %

// Whether every vCPU thread was idle since the last look: only then can they all be asleep, so a
// busy guest is never kicked at all. A clock that cannot be read counts as idle.
bool all_idle(std::span<const pthread_t> threads, std::vector<std::optional<uint64_t>>& last_seen,
              std::chrono::nanoseconds since_last_look) {
    bool idle = true;
    uint64_t allowance = uint64_t(since_last_look.count()) / kIdleShareDivisor;
    for (size_t i = 0; i < threads.size(); ++i) {
        std::optional<uint64_t> now = cpu_time(threads[i]);
        if (now && (!last_seen[i] || *now - *last_seen[i] > allowance)) idle = false;  // it ran
        last_seen[i] = now;
    }
    return idle;
}

}  // namespace

std::optional<StopReport> wait_watching_halts(StopControl& stop, HaltWatch& watch, std::span<VirtualCpu* const> vcpus,
                                              std::span<const pthread_t> threads,
                                              std::optional<std::chrono::steady_clock::time_point> deadline,
                                              const std::function<bool()>& housekeeping) {
    std::chrono::milliseconds interval = kFirstInterval;
    std::vector<std::optional<uint64_t>> last_seen(threads.size());  // nothing seen yet: not idle
    auto last_look = std::chrono::steady_clock::now();
    for (;;) {
        auto wake = std::chrono::steady_clock::now() + interval;
        if (deadline && *deadline < wake) wake = *deadline;
        if (std::optional<StopReport> report = stop.wait_until(wake)) return report;
        auto now = std::chrono::steady_clock::now();
        if (deadline && now >= *deadline) return std::nullopt;
        interval = housekeeping && housekeeping() ? kFirstInterval : std::min(interval * 2, kLongestInterval);
        bool idle = all_idle(threads, last_seen, now - last_look);
        last_look = now;
        if (!idle) continue;
        watch.begin_round();
        for (size_t i = 0; i < vcpus.size(); ++i) kick(*vcpus[i], threads[i]);
    }
}

}  // namespace glassvm
