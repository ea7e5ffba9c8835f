// Guest writes to the read-only firmware ROM: dropped, reported, counted.
#include "vmm/devices/rom_write_reporter.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm {

namespace {

// The written value as the guest's instruction saw it (x86 is little-endian).
uint64_t little_endian_value(std::span<const uint8_t> data) {
    uint64_t value = 0;
    for (size_t i = 0; i < data.size() && i < 8; ++i) value |= uint64_t{data[i]} << (8 * i);
    return value;
}

}  // namespace

RomWriteReporter::RomWriteReporter(uint64_t rom_base, DeviceReport report, uint64_t shown)
        : m_rom_base(rom_base), m_report(std::move(report)), m_shown(shown) {
    if (!m_report) throw Error(ErrorKind::Internal, "RomWriteReporter needs a report callback");
}

RomWriteReporter::~RomWriteReporter() {
    uint64_t total = m_writes.load();
    if (total > m_shown)
        m_report(
            fmt::format("the guest wrote to the firmware ROM {} times in all ({} shown); every write was "
                        "ignored",
                        total, m_shown));
}

void RomWriteReporter::read(uint64_t, std::span<uint8_t> data) { std::fill(data.begin(), data.end(), uint8_t{0xff}); }

void RomWriteReporter::write(uint64_t offset, std::span<const uint8_t> data) {
    uint64_t number = m_writes.fetch_add(1) + 1;
    if (number <= m_shown)
        m_report(fmt::format("guest wrote {:#x} ({} byte{}) to the firmware ROM at {:#x} — ignored",
                             little_endian_value(data), data.size(), data.size() == 1 ? "" : "s", m_rom_base + offset));
    if (number == m_shown + 1) m_report("further writes to the firmware ROM are ignored and only counted");
}

}  // namespace glassvm
