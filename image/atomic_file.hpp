// Writing a small file so that readers see the old content or the new, never a part of it:
// a temporary file next to it, fsync, rename (POSIX rename(2) replaces atomically).
#pragma once

#include <filesystem>
#include <string>

namespace glassvm::image {

void write_file_atomically(const std::filesystem::path& file, const std::string& text);

// The whole file as text, or "" when it does not exist.
std::string read_small_file(const std::filesystem::path& file);

}  // namespace glassvm::image
