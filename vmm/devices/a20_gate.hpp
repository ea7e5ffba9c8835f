// System Control Port A (I/O port 0x92, the PS/2 "fast A20" port) and the A20 gate it holds.
//
// On a PC, address line 20 can be forced to 0 so that real-mode addresses above 1 MiB wrap
// around as on the 8086; firmware opens the gate (bit 1) before it uses memory above 1 MiB.
// Bit 0 written as 1 resets the machine.
//
// What KVM can do about it: nothing. KVM has no A20 mask — guest-physical addresses always
// reach memory unmasked, as if the gate were open. (A VMM could imitate the real-mode wrap
// alone by mapping [1 MiB, 1 MiB + 64 KiB) onto [0, 64 KiB) while the gate is closed; masking
// bit 20 of every protected-mode address would need a memory slot per odd megabyte.) So glassvm
// models the gate's register honestly — it reads 0 at power-on and holds what the guest writes
// — but not its effect: a guest that enters protected mode with A20 closed runs as if it were
// open, and glassvm says so once when the guest closes the gate.
#pragma once

#include <atomic>
#include <cstdint>

#include "vmm/devices/device_report.hpp"
#include "vmm/devices/io_device.hpp"

namespace glassvm {

class A20Gate final : public IoDevice {
public:
    // `report` hears about what glassvm does not honour (a reset request, a closed gate).
    explicit A20Gate(DeviceReport report);

    std::string_view name() const override { return "a20-gate"; }

    // The register: bit 1 = the gate is open; bit 0 always reads 0; other bits as last written.
    void read(uint64_t offset, std::span<uint8_t> data) override;
    // Holds bits 1-7; bit 0 (reset) is reported and ignored: glassvm has no machine reset.
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    bool enabled() const;

private:
    const DeviceReport m_report;
    std::atomic<uint8_t> m_value{0};  // power-on: gate closed
    std::atomic<bool> m_told_closed{false};
};

}  // namespace glassvm
