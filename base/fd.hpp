// A move-only owner of one file descriptor (/dev/kvm, a VM, a vCPU, an eventfd): exactly one
// Fd owns each descriptor and closes it when destroyed (C++ Core Guidelines R.1).
#pragma once

#include <unistd.h>

#include <utility>

namespace glassvm {

class Fd {
public:
    // An empty Fd owns nothing (get() == -1).
    Fd() = default;
    // Takes ownership of `fd`, typically the checked result of open(), ioctl() or eventfd().
    explicit Fd(int fd) : m_fd(fd) {}

    Fd(Fd&& other) noexcept : m_fd(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    // The descriptor, still owned by this Fd (-1 when empty).
    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }

    // Gives up ownership without closing: the caller now owns the returned descriptor.
    [[nodiscard]] int release() { return std::exchange(m_fd, -1); }

    // Closes the owned descriptor (if any) and takes ownership of `fd`. close() errors are
    // ignored: on Linux the descriptor is released even when close() reports one, and retrying
    // could close a descriptor another thread has just been given.
    void reset(int fd = -1) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = fd;
    }

private:
    int m_fd = -1;
};

}  // namespace glassvm
