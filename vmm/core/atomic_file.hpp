// Files that are either wholly old or wholly new (the image store, the daemon's state): write a
// temporary file next to the target, fsync it, rename it over the target, fsync the directory. A
// crash at any point leaves the previous version or the new one, never half of either.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace glassvm {

// The file gets exactly `mode`, whatever the umask (0600 for a record holding secrets).
void write_file_atomically(const std::filesystem::path& path, const std::string& contents, mode_t mode = 0644);

// The whole file, or nothing when it does not exist. Other failures throw.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace glassvm
