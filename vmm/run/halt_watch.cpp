// HaltWatch: rounds, check-ins and the exact all-asleep decision; the monitor's backoff loop.
#include "run/halt_watch.hpp"

#include <linux/kvm.h>

#include <algorithm>

#include "run/vcpu_runner.hpp"

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

bool asleep_for_good(const Vcpu& vcpu) {
    uint32_t state = vcpu.mp_state();
    if (state == KVM_MP_STATE_INIT_RECEIVED) return true;  // waits for a SIPI (SDM Vol. 3A 9.4)
    return state == KVM_MP_STATE_HALTED && (vcpu.regs().rflags & kInterruptFlag) == 0;
}

std::optional<StopReport> wait_watching_halts(StopControl& stop, HaltWatch& watch, std::span<Vcpu> vcpus,
                                              std::span<const pthread_t> threads,
                                              std::optional<std::chrono::steady_clock::time_point> deadline) {
    std::chrono::milliseconds interval = kFirstInterval;
    for (;;) {
        auto wake = std::chrono::steady_clock::now() + interval;
        if (deadline && *deadline < wake) wake = *deadline;
        if (std::optional<StopReport> report = stop.wait_until(wake)) return report;
        if (deadline && std::chrono::steady_clock::now() >= *deadline) return std::nullopt;
        watch.begin_round();
        for (size_t i = 0; i < vcpus.size(); ++i) kick(vcpus[i], threads[i]);
        interval = std::min(interval * 2, kLongestInterval);
    }
}

}  // namespace glassvm
