// Parsing the sizes users type: "64M", "1G", "512K", "4096".
#pragma once

#include <cstdint>
#include <string_view>

namespace glassvm {

// A whole number of bytes, optionally with a binary suffix K, M, G or T (case-insensitive,
// an optional trailing "B" or "iB" allowed: "64MiB"). Anything else is a BadInput Error
// naming `option`.
uint64_t parse_size(std::string_view text, std::string_view option);

}  // namespace glassvm
