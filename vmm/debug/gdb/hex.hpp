// Hex text as the GDB remote protocol writes it: bytes as pairs of hex digits, numbers in big-
// endian hex ("m 1000,10"), register values as little-endian byte strings (gdb manual, "Remote
// Protocol" → "Overview" and "Packets").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm::gdb {

// "48656c6c6f" for "Hello".
std::string to_hex(std::span<const uint8_t> bytes);
std::string to_hex(std::string_view text);
// The bytes of an even-length hex string, or nullopt for odd lengths and non-hex digits.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
// A number written in hex, most significant digit first ("1f" → 31); nullopt when empty, not
// hex, or too large for 64 bits.
std::optional<uint64_t> parse_hex_number(std::string_view text);

// `value`'s low `size` bytes, least significant first, as hex ("0010000000000000").
std::string to_hex_little_endian(uint64_t value, size_t size);
// The inverse; nullopt unless `hex` holds exactly `size` bytes (size ≤ 8).
std::optional<uint64_t> from_hex_little_endian(std::string_view hex, size_t size);

}  // namespace glassvm::gdb
