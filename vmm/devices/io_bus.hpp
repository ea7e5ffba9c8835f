// The I/O bus: routes a guest port or MMIO access to the device registered for that address
// range. The core has no list of devices; the machine registers them here at start-up. An
// access nobody claims reads as all ones and writes nowhere (as on a PC's bus with nothing
// answering) and is counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vmm/devices/io_device.hpp"

namespace glassvm {

enum class AddressSpace {
    Port,
    Mmio
};

std::string_view to_string(AddressSpace space);

class IoBus {
public:
    // Claims [base, base + length) in `space` for `device`, which must outlive the bus.
    // Overlapping an existing range is an Internal Error.
    void add(AddressSpace space, uint64_t base, uint64_t length, IoDevice& device);

    // Performs the access; returns the device that handled it, or nullptr when the address is
    // unmapped (then a read fills `data` with 0xff and a write is dropped).
    IoDevice* read(AddressSpace space, uint64_t address, std::span<uint8_t> data);
    IoDevice* write(AddressSpace space, uint64_t address, std::span<const uint8_t> data);

    // The device claiming `address`, without accessing it.
    IoDevice* find(AddressSpace space, uint64_t address) const;

    uint64_t unmapped_reads(AddressSpace space) const { return counters(space).reads.load(); }
    uint64_t unmapped_writes(AddressSpace space) const { return counters(space).writes.load(); }

private:
    struct Range {
        uint64_t base;
        uint64_t length;
        IoDevice* device;
    };
    struct UnmappedCounters {
        std::atomic<uint64_t> reads{0};
        std::atomic<uint64_t> writes{0};
    };
    const Range* find_range(AddressSpace space, uint64_t address) const;
    const std::vector<Range>& ranges(AddressSpace space) const {
        return space == AddressSpace::Port ? m_ports : m_mmio;
    }
    UnmappedCounters& counters(AddressSpace space) const {
        return space == AddressSpace::Port ? m_unmapped_ports : m_unmapped_mmio;
    }

    std::vector<Range> m_ports;
    std::vector<Range> m_mmio;
    mutable UnmappedCounters m_unmapped_ports;
    mutable UnmappedCounters m_unmapped_mmio;
};

}  // namespace glassvm
