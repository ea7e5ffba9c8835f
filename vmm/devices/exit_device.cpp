// The exit device: turns a guest's write to the exit port into a call to the machine.
#include "vmm/devices/exit_device.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace glassvm {

ExitDevice::ExitDevice(ExitCallback on_exit) : m_on_exit(std::move(on_exit)) {
    if (!m_on_exit) throw Error(ErrorKind::Internal, "ExitDevice needs an exit callback");
}

void ExitDevice::read(uint64_t, std::span<uint8_t> data) { std::fill(data.begin(), data.end(), 0xff); }

void ExitDevice::write(uint64_t, std::span<const uint8_t> data) {
    // x86 is little-endian: data[0] is the low byte of a 1-, 2- or 4-byte `out`.
    if (!data.empty()) m_on_exit(data[0]);
}

}  // namespace glassvm
