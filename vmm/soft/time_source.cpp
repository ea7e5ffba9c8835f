// The host's clocks as the chips' TimeSource (time_source.hpp).
#include "vmm/soft/time_source.hpp"

#include <chrono>

#include "base/error.hpp"

namespace glassvm::soft {

HostTimeSource::HostTimeSource(uint64_t tsc_khz) : m_tsc_khz(tsc_khz) {
    if (tsc_khz == 0) throw Error(ErrorKind::Internal, "HostTimeSource needs the TSC's rate (0 kHz given)");
}

uint64_t HostTimeSource::now_ns() const {
    auto since_start = std::chrono::steady_clock::now().time_since_epoch();
    return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(since_start).count());
}

uint64_t HostTimeSource::tsc() const { return __builtin_ia32_rdtsc(); }

}  // namespace glassvm::soft
