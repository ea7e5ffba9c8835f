// What answers a guest write to the firmware ROM. The ROM is a read-only memory slot
// (KVM_MEM_READONLY), so KVM does not perform such a write: it hands it to the VMM as a
// KVM_EXIT_MMIO write, which the bus routes here. The write is dropped — the ROM keeps its
// bytes — and reported: the first few verbatim, then only counted, with the total at the end.
#pragma once

#include <atomic>
#include <cstdint>

#include "vmm/devices/device_report.hpp"
#include "vmm/devices/io_device.hpp"

namespace glassvm {

class RomWriteReporter final : public IoDevice {
public:
    // `rom_base`: the ROM's guest-physical address (for the reports); `shown`: how many writes
    // are reported one by one.
    RomWriteReporter(uint64_t rom_base, DeviceReport report, uint64_t shown = 8);
    // Reports the total when more writes came than were shown.
    ~RomWriteReporter() override;

    std::string_view name() const override { return "fw-rom"; }

    // KVM serves reads from the ROM's memory without an exit; should one arrive, it reads as
    // all ones.
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    uint64_t writes() const { return m_writes.load(); }

private:
    const uint64_t m_rom_base;
    const DeviceReport m_report;
    const uint64_t m_shown;
    std::atomic<uint64_t> m_writes{0};
};

}  // namespace glassvm
