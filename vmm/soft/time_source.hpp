// The clock the soft backend's interrupt chips count against. KVM times its in-kernel APIC and
// PIT with the host's clocks; glassvm's own chips ask a TimeSource instead, so that the machine
// gives them the host's clocks (HostTimeSource) and the unit tests a clock they set by hand.
#pragma once

#include <cstdint>

namespace glassvm::soft {

// Nanoseconds since an arbitrary start, and the guest's time-stamp counter.
class TimeSource {
public:
    virtual ~TimeSource() = default;
    virtual uint64_t now_ns() const = 0;
    virtual uint64_t tsc() const = 0;      // the guest's time-stamp counter now
    virtual uint64_t tsc_khz() const = 0;  // its rate
};

// The real one: the host's steady clock, and the host's TSC as the guest's (the soft CPU gives the
// guest the host's rdtsc), whose rate the machine measured or read from CPUID.
class HostTimeSource final : public TimeSource {
public:
    explicit HostTimeSource(uint64_t tsc_khz);
    uint64_t now_ns() const override;
    uint64_t tsc() const override;
    uint64_t tsc_khz() const override { return m_tsc_khz; }

private:
    uint64_t m_tsc_khz;
};

}  // namespace glassvm::soft
