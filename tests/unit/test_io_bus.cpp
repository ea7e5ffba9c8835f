// Unit tests for the I/O bus: dispatch by port and MMIO address with offsets into the device's
// range, unmapped accesses (all ones, counted per address space) and overlap rejection.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "vmm/devices/io_bus.hpp"
#include "vmm/devices/io_device.hpp"

using glassvm::AddressSpace;
using glassvm::IoBus;
using glassvm::IoDevice;

namespace {

// Records every access; a read returns bytes derived from the offset and the device's tag, so
// a test can tell which device answered and at which offset.
class RecordingDevice : public IoDevice {
public:
    struct Access {
        bool is_write;
        uint64_t offset;
        std::vector<uint8_t> data;
        bool operator==(const Access&) const = default;
    };

    RecordingDevice(std::string name, uint8_t tag) : m_name(std::move(name)), m_tag(tag) {}

    std::string_view name() const override { return m_name; }
    void read(uint64_t offset, std::span<uint8_t> data) override {
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(m_tag + offset + i);
        accesses.push_back({false, offset, {data.begin(), data.end()}});
    }
    void write(uint64_t offset, std::span<const uint8_t> data) override {
        accesses.push_back({true, offset, {data.begin(), data.end()}});
    }

    std::vector<Access> accesses;

private:
    std::string m_name;
    uint8_t m_tag;
};

}  // namespace

TEST_CASE("io bus: port accesses reach the device at their offset", "[io_bus]") {
    IoBus bus;
    RecordingDevice serial("serial", 0x40);
    bus.add(AddressSpace::Port, 0x3f8, 8, serial);

    uint8_t value = 0;
    CHECK(bus.read(AddressSpace::Port, 0x3fd, {&value, 1}) == &serial);
    CHECK(value == 0x45);  // tag 0x40 + offset 5

    const uint8_t byte = 'A';
    CHECK(bus.write(AddressSpace::Port, 0x3f8, {&byte, 1}) == &serial);

    REQUIRE(serial.accesses.size() == 2);
    CHECK(serial.accesses[0] == RecordingDevice::Access{false, 5, {0x45}});
    CHECK(serial.accesses[1] == RecordingDevice::Access{true, 0, {'A'}});
    CHECK(bus.unmapped_reads(AddressSpace::Port) == 0);
    CHECK(bus.unmapped_writes(AddressSpace::Port) == 0);
}

TEST_CASE("io bus: MMIO accesses reach the device at their offset, all widths", "[io_bus]") {
    IoBus bus;
    RecordingDevice device("mmio-device", 0x00);
    bus.add(AddressSpace::Mmio, 0xD000'0000, 0x1000, device);

    const uint8_t word[4] = {1, 2, 3, 4};
    CHECK(bus.write(AddressSpace::Mmio, 0xD000'0010, word) == &device);
    uint8_t quad[8] = {};
    CHECK(bus.read(AddressSpace::Mmio, 0xD000'0FF8, quad) == &device);

    REQUIRE(device.accesses.size() == 2);
    CHECK(device.accesses[0] == RecordingDevice::Access{true, 0x10, {1, 2, 3, 4}});
    CHECK(device.accesses[1].offset == 0xFF8);
    CHECK(device.accesses[1].data.size() == 8);
    CHECK(quad[0] == 0xF8);
    CHECK(quad[7] == 0xFF);
}

TEST_CASE("io bus: two devices side by side, boundaries exact", "[io_bus]") {
    IoBus bus;
    RecordingDevice a("a", 0x10), b("b", 0x80);
    // Registered out of order: dispatch must not depend on it.
    bus.add(AddressSpace::Port, 0x14, 4, b);
    bus.add(AddressSpace::Port, 0x10, 4, a);

    CHECK(bus.find(AddressSpace::Port, 0x0f) == nullptr);
    CHECK(bus.find(AddressSpace::Port, 0x10) == &a);
    CHECK(bus.find(AddressSpace::Port, 0x13) == &a);  // last byte of a
    CHECK(bus.find(AddressSpace::Port, 0x14) == &b);  // one past a is b's first
    CHECK(bus.find(AddressSpace::Port, 0x17) == &b);
    CHECK(bus.find(AddressSpace::Port, 0x18) == nullptr);  // one past b
    // find() only looks.
    CHECK(a.accesses.empty());
    CHECK(b.accesses.empty());

    uint8_t value = 0;
    CHECK(bus.read(AddressSpace::Port, 0x13, {&value, 1}) == &a);
    CHECK(value == 0x13);
    CHECK(bus.read(AddressSpace::Port, 0x17, {&value, 1}) == &b);
    CHECK(value == 0x83);
    REQUIRE(a.accesses.size() == 1);
    CHECK(a.accesses[0].offset == 3);
    REQUIRE(b.accesses.size() == 1);
    CHECK(b.accesses[0].offset == 3);
}

TEST_CASE("io bus: an unmapped read returns all ones and is counted", "[io_bus]") {
    IoBus bus;
    RecordingDevice device("device", 0);
    bus.add(AddressSpace::Port, 0x60, 1, device);

    uint8_t data[4] = {0, 0, 0, 0};
    CHECK(bus.read(AddressSpace::Port, 0x61, data) == nullptr);
    CHECK(std::vector<uint8_t>(data, data + 4) == std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff});
    CHECK(bus.unmapped_reads(AddressSpace::Port) == 1);
    CHECK(bus.unmapped_writes(AddressSpace::Port) == 0);
    CHECK(bus.unmapped_reads(AddressSpace::Mmio) == 0);

    uint8_t quad[8] = {};
    CHECK(bus.read(AddressSpace::Mmio, 0xFEC0'0000, quad) == nullptr);
    CHECK(quad[0] == 0xff);
    CHECK(quad[7] == 0xff);
    CHECK(bus.unmapped_reads(AddressSpace::Mmio) == 1);
    CHECK(bus.unmapped_reads(AddressSpace::Port) == 1);
    CHECK(device.accesses.empty());
}

TEST_CASE("io bus: an unmapped write is dropped and counted", "[io_bus]") {
    IoBus bus;
    RecordingDevice device("device", 0);
    bus.add(AddressSpace::Port, 0x60, 1, device);

    const uint8_t byte = 0x42;
    CHECK(bus.write(AddressSpace::Port, 0x80, {&byte, 1}) == nullptr);
    CHECK(bus.write(AddressSpace::Port, 0x80, {&byte, 1}) == nullptr);
    CHECK(bus.write(AddressSpace::Mmio, 0x60, {&byte, 1}) == nullptr);  // same number, other space
    CHECK(bus.unmapped_writes(AddressSpace::Port) == 2);
    CHECK(bus.unmapped_writes(AddressSpace::Mmio) == 1);
    CHECK(bus.unmapped_reads(AddressSpace::Port) == 0);
    CHECK(bus.unmapped_reads(AddressSpace::Mmio) == 0);
    CHECK(device.accesses.empty());
}

TEST_CASE("io bus: port and MMIO are separate address spaces", "[io_bus]") {
    IoBus bus;
    RecordingDevice port_device("port", 0), mmio_device("mmio", 0);
    bus.add(AddressSpace::Port, 0x1000, 0x10, port_device);
    bus.add(AddressSpace::Mmio, 0x1000, 0x10, mmio_device);  // same numbers: no overlap
    CHECK(bus.find(AddressSpace::Port, 0x1008) == &port_device);
    CHECK(bus.find(AddressSpace::Mmio, 0x1008) == &mmio_device);
    CHECK(glassvm::to_string(AddressSpace::Port) == "port");
    CHECK(glassvm::to_string(AddressSpace::Mmio) == "mmio");
}

TEST_CASE("io bus: ranges at the top of the address space cannot wrap around", "[io_bus]") {
    IoBus bus;
    RecordingDevice top("top", 0), other("other", 0);
    bus.add(AddressSpace::Mmio, 0xFFFF'FFFF'FFFF'F000, 0x1000, top);  // ends exactly at 2^64
    CHECK(bus.find(AddressSpace::Mmio, 0xFFFF'FFFF'FFFF'FFFF) == &top);
    CHECK_THROWS_AS(bus.add(AddressSpace::Mmio, 0xFFFF'FFFF'FFFF'F800, 0x10, other), glassvm::Error);
    bus.add(AddressSpace::Mmio, 0x1000, 0x1000, other);
    CHECK_THROWS_AS(bus.add(AddressSpace::Mmio, 0xFFFF'FFFF'FFFF'F000, 0x2000, other), glassvm::Error);
    CHECK_THROWS_AS(bus.add(AddressSpace::Mmio, 0x5000, 0, other), glassvm::Error);
}

TEST_CASE("io bus: overlapping registrations are rejected", "[io_bus]") {
    IoBus bus;
    RecordingDevice serial("serial", 0), other("other", 0);
    bus.add(AddressSpace::Port, 0x3f8, 8, serial);

    struct Range {
        uint64_t base, length;
    };
    for (Range range : {Range{0x3f8, 8}, Range{0x3f0, 9}, Range{0x3ff, 4}, Range{0x3fa, 2}, Range{0x300, 0x200}}) {
        INFO("range " << std::hex << range.base << "+" << range.length);
        try {
            bus.add(AddressSpace::Port, range.base, range.length, other);
            FAIL("overlapping range accepted");
        } catch (const glassvm::Error& error) {
            CHECK(error.kind() == glassvm::ErrorKind::Internal);
            CHECK_THAT(error.what(), Catch::Contains("for other overlaps serial at 0x3f8+0x8"));
        }
    }
    // A rejected range claims nothing; neighbours that only touch are fine.
    CHECK(bus.find(AddressSpace::Port, 0x3f7) == nullptr);
    CHECK(bus.find(AddressSpace::Port, 0x400) == nullptr);
    bus.add(AddressSpace::Port, 0x3f0, 8, other);
    bus.add(AddressSpace::Port, 0x400, 1, other);
    CHECK(bus.find(AddressSpace::Port, 0x3f7) == &other);
    CHECK(bus.find(AddressSpace::Port, 0x3f8) == &serial);
    CHECK(bus.find(AddressSpace::Port, 0x3ff) == &serial);
    CHECK(bus.find(AddressSpace::Port, 0x400) == &other);
}
