// The firmware configuration interface's two registers; see firmware_config.hpp.
#include "vmm/devices/firmware_config.hpp"

#include <algorithm>

namespace glassvm {

namespace {

std::vector<uint8_t> little_endian(uint64_t value, size_t bytes) {
    std::vector<uint8_t> out(bytes);
    for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
    return out;
}

}  // namespace

FirmwareConfig::FirmwareConfig() {
    set_u32(abi::FirmwareItem::Signature, abi::kFirmwareConfigSignature);
    set_u32(abi::FirmwareItem::Version, abi::kFirmwareConfigVersion);
}

void FirmwareConfig::set_item(uint16_t key, std::vector<uint8_t> bytes) {
    std::lock_guard lock(m_mutex);
    m_items[key] = std::move(bytes);
}

void FirmwareConfig::set_u32(abi::FirmwareItem key, uint32_t value) {
    set_item(static_cast<uint16_t>(key), little_endian(value, 4));
}

void FirmwareConfig::set_u64(abi::FirmwareItem key, uint64_t value) {
    set_item(static_cast<uint16_t>(key), little_endian(value, 8));
}

void FirmwareConfig::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(m_mutex);
    if (offset == kDataOffset) return read_data(data);
    std::fill(data.begin(), data.end(), uint8_t{0xff});
    if (offset == kSelectorOffset) {
        std::vector<uint8_t> key = little_endian(m_selected, 2);
        std::copy_n(key.begin(), std::min(data.size(), key.size()), data.begin());
    }
}

void FirmwareConfig::read_data(std::span<uint8_t> data) {
    auto item = m_items.find(m_selected);
    for (uint8_t& byte : data) {
        if (item == m_items.end())
            byte = 0xff;
        else
            byte = m_position < item->second.size() ? item->second[m_position] : 0;
        ++m_position;
    }
}

void FirmwareConfig::write(uint64_t offset, std::span<const uint8_t> data) {
    if (offset != kSelectorOffset || data.empty()) return;
    std::lock_guard lock(m_mutex);
    m_selected = static_cast<uint16_t>(data[0] | (data.size() > 1 ? data[1] << 8 : 0));
    m_position = 0;
}

}  // namespace glassvm
