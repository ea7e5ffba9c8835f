// The A20 gate register at port 0x92; see a20_gate.hpp for what it can and cannot do.
#include "vmm/devices/a20_gate.hpp"

#include <algorithm>

#include <glassvm/abi.hpp>

#include "base/error.hpp"

namespace glassvm {

namespace {

constexpr uint8_t kResetBit = 0x01;

}  // namespace

A20Gate::A20Gate(DeviceReport report) : m_report(std::move(report)) {
    if (!m_report) throw Error(ErrorKind::Internal, "A20Gate needs a report callback");
}

void A20Gate::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), uint8_t{0xff});
    if (offset == 0 && !data.empty()) data[0] = m_value.load();
}

void A20Gate::write(uint64_t offset, std::span<const uint8_t> data) {
    if (offset != 0 || data.empty()) return;
    uint8_t value = data[0];
    if (value & kResetBit)
        m_report("the guest asked for a reset through port 0x92 (bit 0); glassvm cannot reset a machine — ignored");
    uint8_t previous = m_value.exchange(static_cast<uint8_t>(value & ~kResetBit));
    bool closed_now = (previous & abi::kA20EnableBit) && !(value & abi::kA20EnableBit);
    if (closed_now && !m_told_closed.exchange(true))
        m_report(
            "the guest closed the A20 gate (port 0x92 bit 1); KVM cannot mask address line 20, so memory "
            "above 1 MiB does not wrap around as on a PC");
}

bool A20Gate::enabled() const { return (m_value.load() & abi::kA20EnableBit) != 0; }

}  // namespace glassvm
