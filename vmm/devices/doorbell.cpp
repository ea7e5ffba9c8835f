// The doorbell: an eventfd that KVM increments on each guest ring; reading it collects the count.
#include "vmm/devices/doorbell.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.hpp"

namespace glassvm {

Doorbell::Doorbell() : m_event(check_syscall("eventfd", ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))) {}

uint64_t Doorbell::rings() {
    uint64_t count = 0;
    // eventfd(2): a read returns the 8-byte counter and resets it; EAGAIN means it is zero.
    ssize_t got = ::read(m_event.get(), &count, sizeof count);
    if (got == -1 && errno == EAGAIN) return m_rings;
    check_syscall("read doorbell eventfd", got);
    m_rings += count;
    return m_rings;
}

}  // namespace glassvm
