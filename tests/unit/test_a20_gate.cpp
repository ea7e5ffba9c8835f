// Unit tests for the A20 gate at System Control Port A: power-on state, opening, the reset bit
// and the one report when the guest closes the gate.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "vmm/devices/a20_gate.hpp"

using glassvm::A20Gate;

namespace {

struct Reports {
    std::vector<std::string> lines;
    glassvm::DeviceReport sink() {
        return [this](std::string_view line) { lines.emplace_back(line); };
    }
};

uint8_t read_port(A20Gate& gate) {
    uint8_t value = 0;
    gate.read(0, std::span<uint8_t>(&value, 1));
    return value;
}

void write_port(A20Gate& gate, uint8_t value) { gate.write(0, std::span<const uint8_t>(&value, 1)); }

}  // namespace

TEST_CASE("a20 gate: closed at power-on, opened by bit 1", "[firmware]") {
    Reports reports;
    A20Gate gate(reports.sink());
    CHECK(gate.name() == "a20-gate");
    CHECK(read_port(gate) == 0);
    CHECK_FALSE(gate.enabled());
    write_port(gate, glassvm::abi::kA20EnableBit);
    CHECK(gate.enabled());
    CHECK(read_port(gate) == glassvm::abi::kA20EnableBit);
    CHECK(reports.lines.empty());
}

TEST_CASE("a20 gate: the reset bit is reported, ignored and never reads back", "[firmware]") {
    Reports reports;
    A20Gate gate(reports.sink());
    write_port(gate, 0x03);
    CHECK(gate.enabled());
    CHECK(read_port(gate) == 0x02);
    REQUIRE(reports.lines.size() == 1);
    CHECK_THAT(reports.lines[0], Catch::Contains("reset through port 0x92") && Catch::Contains("ignored"));
}

TEST_CASE("a20 gate: closing the gate is reported once", "[firmware]") {
    Reports reports;
    A20Gate gate(reports.sink());
    write_port(gate, 0x02);
    write_port(gate, 0x00);
    CHECK_FALSE(gate.enabled());
    write_port(gate, 0x02);
    write_port(gate, 0x00);
    REQUIRE(reports.lines.size() == 1);
    CHECK_THAT(reports.lines[0], Catch::Contains("closed the A20 gate") && Catch::Contains("cannot mask"));
}

TEST_CASE("a20 gate: other bits are held, other offsets read all ones", "[firmware]") {
    Reports reports;
    A20Gate gate(reports.sink());
    write_port(gate, 0xc2);
    CHECK(read_port(gate) == 0xc2);
    uint8_t wide[2] = {};
    gate.read(0, wide);
    CHECK((wide[0] == 0xc2 && wide[1] == 0xff));
    CHECK_THROWS_AS(A20Gate(nullptr), glassvm::Error);
}
