// The exit loop's stopwatch. Reading the TSC costs ~10 ns where clock_gettime costs ~70 ns on
// our hosts, and an observed exit reads the clock two or three times, so timing exits with the
// TSC keeps --exit-stats within its few-percent budget. Ticks become nanoseconds with the TSC
// rate KVM reports; without one (0) the steady clock is used instead.
#pragma once

#include <x86intrin.h>

#include <chrono>
#include <cstdint>

namespace glassvm {

class CycleClock {
public:
    explicit CycleClock(uint32_t tsc_khz) : m_tsc_khz(tsc_khz) {}

    // An opaque instant: TSC ticks, or steady-clock nanoseconds without a TSC rate.
    uint64_t now() const {
        if (m_tsc_khz) return __rdtsc();
        return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }

    // The time between two instants from now().
    std::chrono::nanoseconds between(uint64_t earlier, uint64_t later) const {
        uint64_t elapsed = later - earlier;
        if (!m_tsc_khz) return std::chrono::nanoseconds(elapsed);
        // ticks × 10^6 / kHz, split so the product cannot overflow for runs of any length.
        uint64_t whole_ms = elapsed / m_tsc_khz;
        uint64_t rest = elapsed % m_tsc_khz;
        return std::chrono::nanoseconds(whole_ms * 1'000'000 + rest * 1'000'000 / m_tsc_khz);
    }

private:
    uint32_t m_tsc_khz;
};

}  // namespace glassvm
