// A boot ROM image (`--firmware FILE`, by default build/firmware/glassvm-firmware.bin): a raw
// image that is mapped read-only so that it ends at 4 GiB, its last 16 bytes at the reset
// vector 0xFFFFFFF0 (SDM vol. 3A, 9.1.4). Reading checks what the machine needs of it; the bytes
// live in a private host mapping that is itself read-only. No ioctls here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/mapping.hpp"

namespace glassvm {

class RomImage {
public:
    // The largest ROM: from the end of the VMX real-mode TSS pages (layout::kVmxTssAddress) up
    // to 4 GiB, 256 KiB.
    static uint64_t max_size();

    // Reads `path` and checks it (check_rom_image); every problem is BadInput naming the file.
    static RomImage load(const std::string& path);
    // The same checks on bytes already in memory; `name` says where they came from.
    static RomImage from_bytes(std::span<const uint8_t> bytes, const std::string& name);

    std::span<const uint8_t> bytes() const { return {m_mapping.data(), m_mapping.size()}; }
    uint64_t size() const { return m_mapping.size(); }
    // Guest-physical address of the first byte: 4 GiB - size.
    uint64_t guest_address() const;

private:
    explicit RomImage(Mapping mapping) : m_mapping(std::move(mapping)) {}

    Mapping m_mapping;
};

// Throws BadInput naming `name` when `bytes` cannot be a boot ROM: empty, not a whole number of
// 4 KiB pages, larger than RomImage::max_size(), or no jump at the reset vector (its 16 bytes
// must start with a JMP — E9 rel16, EB rel8 or EA ptr16:16 — after at most a few NOP, CLI, CLD
// or operand-size prefixes).
void check_rom_image(std::span<const uint8_t> bytes, const std::string& name);

}  // namespace glassvm
