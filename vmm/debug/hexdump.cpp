// Formatting bytes as a hexdump, one line per 16 bytes.
#include "vmm/debug/hexdump.hpp"

#include <fmt/format.h>

namespace glassvm {

namespace {

constexpr size_t kBytesPerLine = 16;

std::string hexdump_line(std::span<const uint8_t> bytes, uint64_t address) {
    std::string hex;
    std::string text;
    for (size_t i = 0; i < kBytesPerLine; ++i) {
        if (i == kBytesPerLine / 2) hex += ' ';
        if (i < bytes.size()) {
            hex += fmt::format(" {:02x}", bytes[i]);
            text += (bytes[i] >= 0x20 && bytes[i] < 0x7f) ? static_cast<char>(bytes[i]) : '.';
        } else {
            hex += "   ";
        }
    }
    return fmt::format("{:#010x} {}  |{}|\n", address, hex, text);
}

}  // namespace

std::string hexdump(std::span<const uint8_t> bytes, uint64_t address) {
    std::string result;
    for (size_t offset = 0; offset < bytes.size(); offset += kBytesPerLine)
        result += hexdump_line(bytes.subspan(offset, std::min(kBytesPerLine, bytes.size() - offset)), address + offset);
    return result;
}

}  // namespace glassvm
