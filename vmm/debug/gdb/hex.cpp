// Hex encoding and decoding for the GDB remote protocol.
#include "vmm/debug/gdb/hex.hpp"

namespace glassvm::gdb {

namespace {

constexpr char kDigits[] = "0123456789abcdef";

std::optional<uint8_t> digit_value(char digit) {
    if (digit >= '0' && digit <= '9') return static_cast<uint8_t>(digit - '0');
    if (digit >= 'a' && digit <= 'f') return static_cast<uint8_t>(digit - 'a' + 10);
    if (digit >= 'A' && digit <= 'F') return static_cast<uint8_t>(digit - 'A' + 10);
    return std::nullopt;
}

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
    std::string text;
    text.reserve(bytes.size() * 2);
    for (uint8_t byte : bytes) {
        text.push_back(kDigits[byte >> 4]);
        text.push_back(kDigits[byte & 0xf]);
    }
    return text;
}

std::string to_hex(std::string_view text) {
    return to_hex(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::vector<uint8_t> bytes;
    bytes.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        auto high = digit_value(hex[i]);
        auto low = digit_value(hex[i + 1]);
        if (!high || !low) return std::nullopt;
        bytes.push_back(static_cast<uint8_t>(*high << 4 | *low));
    }
    return bytes;
}

std::optional<uint64_t> parse_hex_number(std::string_view text) {
    if (text.empty() || text.size() > 16) return std::nullopt;
    uint64_t value = 0;
    for (char digit : text) {
        auto nibble = digit_value(digit);
        if (!nibble) return std::nullopt;
        value = value << 4 | *nibble;
    }
    return value;
}

std::string to_hex_little_endian(uint64_t value, size_t size) {
    uint8_t bytes[8];
    for (size_t i = 0; i < size && i < 8; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    return to_hex(std::span<const uint8_t>(bytes, size < 8 ? size : 8));
}

std::optional<uint64_t> from_hex_little_endian(std::string_view hex, size_t size) {
    if (size > 8 || hex.size() != 2 * size) return std::nullopt;
    auto bytes = from_hex(hex);
    if (!bytes) return std::nullopt;
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i) value |= uint64_t{(*bytes)[i]} << (8 * i);
    return value;
}

}  // namespace glassvm::gdb
