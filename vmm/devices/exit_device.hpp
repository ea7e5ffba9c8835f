// The exit device: the guest writes a status byte to abi::kExitPort and the VM ends with it.
// It sits where QEMU's isa-debug-exit usually does (4 ports at 0xf4), so a guest can end
// itself the same way under both.
#pragma once

#include <cstdint>
#include <functional>

#include "vmm/devices/io_device.hpp"

namespace glassvm {

class ExitDevice final : public IoDevice {
public:
    // Called on the vCPU thread that wrote the port; the machine uses it to stop the VM.
    using ExitCallback = std::function<void(uint8_t status)>;

    // `on_exit` must be callable.
    explicit ExitDevice(ExitCallback on_exit);

    std::string_view name() const override { return "exit"; }

    // Reads as all ones: there is nothing to read.
    void read(uint64_t offset, std::span<uint8_t> data) override;
    // A write of any size at any offset in the range: its low byte is the exit status.
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    const ExitCallback m_on_exit;
};

}  // namespace glassvm
