// The firmware configuration interface: how glassvm's boot ROM learns where the VMM put the
// kernel and its boot information (like QEMU's fw_cfg in spirit, but ours and smaller).
//
// Two registers in one 8-port range at abi::kFirmwareConfigSelectorPort:
//   offset 0, the selector: a write (of any size; its low 16 bits, little-endian) selects an
//     item and rewinds it; a read returns the selected key.
//   offset 4, the data port: each read of 1, 2 or 4 bytes returns the selected item's next
//     bytes, little-endian. Past the item's end it reads zeros; an unknown key reads as all ones
//     (0xff bytes, as a port nobody claims). Writes are ignored: the interface is read-only.
// Every other offset reads as all ones and ignores writes. The item keys and what they hold
// are in abi/glassvm/abi.hpp (abi::FirmwareItem) and firmware/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include <glassvm/abi.hpp>

#include "vmm/devices/io_device.hpp"

namespace glassvm {

class FirmwareConfig final : public IoDevice {
public:
    // Starts with the items every interface has: Signature ("GLVM") and Version.
    FirmwareConfig();

    std::string_view name() const override { return "fw-config"; }

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Sets (or replaces) an item's bytes.
    void set_item(uint16_t key, std::vector<uint8_t> bytes);
    void set_u32(abi::FirmwareItem key, uint32_t value);
    void set_u64(abi::FirmwareItem key, uint64_t value);

    static constexpr uint64_t kSelectorOffset = 0;
    static constexpr uint64_t kDataOffset = abi::kFirmwareConfigDataPort - abi::kFirmwareConfigSelectorPort;

private:
    void read_data(std::span<uint8_t> data);

    std::mutex m_mutex;  // vCPU threads may share the interface
    std::map<uint16_t, std::vector<uint8_t>> m_items;
    uint16_t m_selected = 0;
    size_t m_position = 0;
};

}  // namespace glassvm
