// Reading a whole file the user named (kernel, init program), with errors that say which
// file and what is wrong with it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm {

// Reads `path` completely. `role` names it in errors ("kernel", "init program"). A missing
// file, a directory, an unreadable file or one larger than `max_bytes` is a BadInput Error.
std::vector<uint8_t> read_file(const std::string& path, std::string_view role,
                               uint64_t max_bytes = 1ull << 30);

}  // namespace glassvm
