// Unit tests for the hexdump the stepper's `x` prints: 16 bytes a line, address, hex, text.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "vmm/debug/hexdump.hpp"

using glassvm::hexdump;

TEST_CASE("hexdump: one full line has the address, two groups of eight and the text", "[hexdump]") {
    std::vector<uint8_t> bytes = {'g', 'l', 'a', 's', 's', 'v', 'm', 0, 1, 2, 0x7f, 0x80, 0xff, ' ', '~', '\n'};
    CHECK(hexdump(bytes, 0x100000) ==
          "0x00100000  67 6c 61 73 73 76 6d 00  01 02 7f 80 ff 20 7e 0a  |glassvm...... ~.|\n");
}

TEST_CASE("hexdump: a short last line is padded so the text column lines up", "[hexdump]") {
    std::vector<uint8_t> bytes(20, 0x41);
    std::string dump = hexdump(bytes, 0x2000);
    CHECK(dump ==
          "0x00002000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|\n"
          "0x00002010  41 41 41 41" +
              std::string(37, ' ') + "  |AAAA|\n");
}

TEST_CASE("hexdump: high addresses widen and no bytes give no lines", "[hexdump]") {
    std::array<uint8_t, 2> bytes = {0xb0, 0x07};
    CHECK(hexdump(bytes, 0xffffffff80000000) == "0xffffffff80000000  b0 07" + std::string(43, ' ') + "  |..|\n");
    CHECK(hexdump({}, 0x1000).empty());
}
