// write_all: see write_all.hpp.
#include "core/write_all.hpp"

#include <poll.h>
#include <unistd.h>

#include "core/error.hpp"

namespace glassvm {

void write_all(int fd, std::span<const uint8_t> bytes, std::string_view what) {
    while (!bytes.empty()) {
        ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written >= 0) {
            bytes = bytes.subspan(static_cast<size_t>(written));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
            pollfd waiter{.fd = fd, .events = POLLOUT, .revents = 0};
            if (::poll(&waiter, 1, -1) < 0 && errno != EINTR) throw Error::from_errno(what, errno);
            continue;
        }
        throw Error::from_errno(what, errno);
    }
}

}  // namespace glassvm
