// Range registration and dispatch for the I/O bus.
#include "vmm/devices/io_bus.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace glassvm {

std::string_view to_string(AddressSpace space) { return space == AddressSpace::Port ? "port" : "mmio"; }

void IoBus::add(AddressSpace space, uint64_t base, uint64_t length, IoDevice& device) {
    auto& list = space == AddressSpace::Port ? m_ports : m_mmio;
    uint64_t last = 0;  // inclusive, so a range ending at the top of the space is expressible
    if (length == 0 || __builtin_add_overflow(base, length - 1, &last))
        throw Error(ErrorKind::Internal, fmt::format("{} range {:#x}+{:#x} for {} is empty or wraps around",
                                                     to_string(space), base, length, device.name()));
    for (const auto& range : list) {
        uint64_t range_last = range.base + (range.length - 1);
        if (base <= range_last && range.base <= last)
            throw Error(ErrorKind::Internal,
                        fmt::format("{} range {:#x}+{:#x} for {} overlaps {} at {:#x}+{:#x}", to_string(space), base,
                                    length, device.name(), range.device->name(), range.base, range.length));
    }
    list.push_back({base, length, &device});
    std::sort(list.begin(), list.end(), [](const Range& a, const Range& b) { return a.base < b.base; });
}

const IoBus::Range* IoBus::find_range(AddressSpace space, uint64_t address) const {
    // A handful of devices: a linear scan is both fastest and clearest.
    for (const auto& range : ranges(space))
        if (address >= range.base && address - range.base < range.length) return &range;
    return nullptr;
}

IoDevice* IoBus::find(AddressSpace space, uint64_t address) const {
    const Range* range = find_range(space, address);
    return range ? range->device : nullptr;
}

IoDevice* IoBus::read(AddressSpace space, uint64_t address, std::span<uint8_t> data) {
    const Range* range = find_range(space, address);
    if (!range) {
        std::fill(data.begin(), data.end(), uint8_t{0xff});
        counters(space).reads.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    range->device->read(address - range->base, data);
    return range->device;
}

IoDevice* IoBus::write(AddressSpace space, uint64_t address, std::span<const uint8_t> data) {
    const Range* range = find_range(space, address);
    if (!range) {
        counters(space).writes.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    range->device->write(address - range->base, data);
    return range->device;
}

}  // namespace glassvm
