// Unit tests for the firmware configuration interface: selector and data semantics, the items
// every interface has, multi-byte and 64-bit items, reading past the end, an unknown key.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <glassvm/abi.hpp>

#include "vmm/devices/firmware_config.hpp"

using glassvm::FirmwareConfig;
using glassvm::abi::FirmwareItem;

namespace {

constexpr uint64_t kSelector = FirmwareConfig::kSelectorOffset;
constexpr uint64_t kData = FirmwareConfig::kDataOffset;

void select(FirmwareConfig& config, uint16_t key) {
    const uint8_t bytes[2] = {static_cast<uint8_t>(key), static_cast<uint8_t>(key >> 8)};
    config.write(kSelector, bytes);
}

uint32_t read32(FirmwareConfig& config) {
    uint8_t bytes[4] = {};
    config.read(kData, bytes);
    return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | uint32_t{bytes[3]} << 24;
}

uint8_t read8(FirmwareConfig& config) {
    uint8_t byte = 0;
    config.read(kData, std::span<uint8_t>(&byte, 1));
    return byte;
}

}  // namespace

TEST_CASE("firmware config: the offsets are the ports in the ABI", "[firmware]") {
    CHECK(glassvm::abi::kFirmwareConfigSelectorPort + kData == glassvm::abi::kFirmwareConfigDataPort);
    CHECK(kData + 4 <= glassvm::abi::kFirmwareConfigPortCount);
    CHECK(FirmwareConfig().name() == "fw-config");
}

TEST_CASE("firmware config: signature and version are there from the start", "[firmware]") {
    FirmwareConfig config;
    select(config, static_cast<uint16_t>(FirmwareItem::Signature));
    CHECK(read32(config) == glassvm::abi::kFirmwareConfigSignature);
    select(config, static_cast<uint16_t>(FirmwareItem::Signature));
    CHECK(read8(config) == 'G');  // the signature reads as text byte by byte
    CHECK(read8(config) == 'L');
    CHECK(read8(config) == 'V');
    CHECK(read8(config) == 'M');
    select(config, static_cast<uint16_t>(FirmwareItem::Version));
    CHECK(read32(config) == glassvm::abi::kFirmwareConfigVersion);
}

TEST_CASE("firmware config: a 64-bit item reads as two 32-bit halves, low first", "[firmware]") {
    FirmwareConfig config;
    config.set_u64(FirmwareItem::KernelEntry, 0x1122'3344'0010'0000);
    select(config, static_cast<uint16_t>(FirmwareItem::KernelEntry));
    CHECK(read32(config) == 0x0010'0000);
    CHECK(read32(config) == 0x1122'3344);
    CHECK(read32(config) == 0);  // past the end: zeros
    CHECK(read8(config) == 0);
}

TEST_CASE("firmware config: selecting again rewinds the item", "[firmware]") {
    FirmwareConfig config;
    config.set_u32(FirmwareItem::PageTables, 0x9000);
    select(config, static_cast<uint16_t>(FirmwareItem::PageTables));
    CHECK(read8(config) == 0x00);
    CHECK(read8(config) == 0x90);
    select(config, static_cast<uint16_t>(FirmwareItem::PageTables));
    CHECK(read32(config) == 0x9000);
}

TEST_CASE("firmware config: an unknown item reads as all ones", "[firmware]") {
    FirmwareConfig config;
    select(config, 0x7777);
    CHECK(read32(config) == 0xffff'ffff);
    CHECK(read32(config) == 0xffff'ffff);  // however far one reads
    CHECK(read8(config) == 0xff);
}

TEST_CASE("firmware config: the selector reads back the selected key", "[firmware]") {
    FirmwareConfig config;
    select(config, 0x0203);
    uint8_t key[2] = {};
    config.read(kSelector, key);
    CHECK(key[0] == 0x03);
    CHECK(key[1] == 0x02);
    const uint8_t one_byte = 0x05;  // an 8-bit write selects a key below 256
    config.write(kSelector, std::span<const uint8_t>(&one_byte, 1));
    config.read(kSelector, key);
    CHECK((key[0] == 0x05 && key[1] == 0));
}

TEST_CASE("firmware config: data writes and other offsets change nothing", "[firmware]") {
    FirmwareConfig config;
    config.set_u32(FirmwareItem::CpuCount, 3);
    select(config, static_cast<uint16_t>(FirmwareItem::CpuCount));
    const uint8_t junk[4] = {1, 2, 3, 4};
    config.write(kData, junk);  // the interface is read-only
    config.write(2, junk);      // not a register
    uint8_t gap[2] = {};
    config.read(2, gap);
    CHECK((gap[0] == 0xff && gap[1] == 0xff));
    CHECK(read32(config) == 3);  // still item CpuCount, from its start
}

TEST_CASE("firmware config: set_item replaces an item", "[firmware]") {
    FirmwareConfig config;
    config.set_item(0x100, {0xaa});
    config.set_item(0x100, {0xbb, 0xcc});
    select(config, 0x100);
    CHECK(read32(config) == 0xccbb);
}
