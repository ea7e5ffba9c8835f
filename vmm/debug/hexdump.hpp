// The classic hexdump: 16 bytes a line, the address, the bytes in hex, and the printable ones
// as text, as `hexdump -C` and gdb's `x/16xb` show memory.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace glassvm {

// "0x00100000  b0 07 e6 f4 f4 00 00 00  00 00 00 00 00 00 00 00  |................|\n" for
// each 16 bytes of `bytes`, which start at `address`; empty for no bytes.
std::string hexdump(std::span<const uint8_t> bytes, uint64_t address);

}  // namespace glassvm
