// Writing every byte to a host fd, however slowly it drains: retries short writes, EINTR, and
// waits in poll() when the fd is non-blocking and full. Nothing the guest prints is dropped.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace glassvm {

// Throws Error naming `what` on a real failure (EPIPE, EBADF…).
void write_all(int fd, std::span<const uint8_t> bytes, std::string_view what);

}  // namespace glassvm
