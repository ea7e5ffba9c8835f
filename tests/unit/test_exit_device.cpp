// Unit tests for the exit device: the status byte reaches the machine, reads are all ones.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "base/error.hpp"
#include "vmm/devices/exit_device.hpp"

using glassvm::ExitDevice;

TEST_CASE("exit device: a one-byte write delivers the status", "[exit]") {
    std::vector<uint8_t> statuses;
    ExitDevice device([&](uint8_t status) { statuses.push_back(status); });
    CHECK(device.name() == "exit");
    for (uint8_t status : {0, 1, 42, 139, 255}) device.write(0, std::vector<uint8_t>{status});
    CHECK(statuses == std::vector<uint8_t>{0, 1, 42, 139, 255});
}

TEST_CASE("exit device: a wider write delivers its low byte", "[exit]") {
    std::optional<uint8_t> delivered;
    ExitDevice device([&](uint8_t status) { delivered = status; });
    const uint8_t word[2] = {0x07, 0x01};  // outw 0x0107
    device.write(0, word);
    CHECK(delivered == 0x07);
    const uint8_t dword[4] = {0x6e, 0xff, 0xff, 0xff};  // outl 0xffffff6e
    device.write(0, dword);
    CHECK(delivered == 110);
}

TEST_CASE("exit device: writes anywhere in its four ports count", "[exit]") {
    std::optional<uint8_t> delivered;
    ExitDevice device([&](uint8_t status) { delivered = status; });
    device.write(3, std::vector<uint8_t>{9});
    CHECK(delivered == 9);
}

TEST_CASE("exit device: reads return 0xff and deliver nothing", "[exit]") {
    bool called = false;
    ExitDevice device([&](uint8_t) { called = true; });
    uint8_t data[4] = {0, 0, 0, 0};
    device.read(0, data);
    CHECK(std::vector<uint8_t>(data, data + 4) == std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff});
    CHECK_FALSE(called);
}

TEST_CASE("exit device: an empty write is ignored", "[exit]") {
    bool called = false;
    ExitDevice device([&](uint8_t) { called = true; });
    device.write(0, std::span<const uint8_t>{});
    CHECK_FALSE(called);
}

TEST_CASE("exit device: an empty callback is a programming error", "[exit]") {
    CHECK_THROWS_AS(ExitDevice(ExitDevice::ExitCallback{}), glassvm::Error);
}
