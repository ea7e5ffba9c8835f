// What a device looks like to the I/O bus: a named range of registers that can be read and
// written. The bus hands each access the offset into the device's range, never the absolute
// port or address, so one device class can sit at any base.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace glassvm {

class IoDevice {
public:
    virtual ~IoDevice() = default;

    // Short name for traces and statistics ("serial", "exit").
    virtual std::string_view name() const = 0;

    // A guest read of data.size() bytes (1, 2, 4 or 8) at `offset` into the device's range.
    // The device fills `data`.
    virtual void read(uint64_t offset, std::span<uint8_t> data) = 0;

    // A guest write of data.size() bytes at `offset` into the device's range.
    virtual void write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

}  // namespace glassvm
