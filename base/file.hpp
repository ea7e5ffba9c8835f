// Host files: reading a whole file the user named (kernel, init program) with errors that say
// which file and what is wrong with it; writing every byte to an fd however slowly it drains;
// and files that are either wholly old or wholly new (the image store, the daemon's state).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm {

// Reads `path` completely. `role` names it in errors ("kernel", "init program"). A missing
// file, a directory, an unreadable file or one larger than `max_bytes` is a BadInput Error.
std::vector<uint8_t> read_file(const std::string& path, std::string_view role, uint64_t max_bytes = 1ull << 30);

// Writes every byte to `fd`: retries short writes and EINTR, and waits in poll() when the fd is
// non-blocking and full, so nothing the guest prints is dropped. Throws Error naming `what` on a
// real failure (EPIPE, EBADF…).
void write_all(int fd, std::span<const uint8_t> bytes, std::string_view what);

// Writes a temporary file next to `path`, fsyncs it, renames it over `path`, fsyncs the
// directory: a crash at any point leaves the previous version or the new one, never half of
// either. The file gets exactly `mode`, whatever the umask (0600 for a record holding secrets).
void write_file_atomically(const std::filesystem::path& path, const std::string& contents, mode_t mode = 0644);

// The whole file, or nothing when it does not exist. Other failures throw.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace glassvm
