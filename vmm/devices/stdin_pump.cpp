// The host-input thread: poll() the input fd and a stop eventfd, read, feed the UART, and
// wait for room in its receiver when it is full.
#include "vmm/devices/stdin_pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <array>

#include "base/error.hpp"

namespace glassvm {
namespace {

// Bytes read from the host at once; all of them wait here while the guest's FIFO is full.
constexpr size_t kBufferSize = 256;

// `fd`, or -1 when it is not open (stdin closed by whoever started us). Checked before the
// eventfd is created, since that would otherwise take this very number.
int open_or_none(int fd) { return ::fcntl(fd, F_GETFD) == -1 ? -1 : fd; }

}  // namespace

StdinPump::StdinPump(Serial16550& serial, int input_fd, std::function<void()> on_thread_start)
        : m_serial(serial),
          m_input_fd(open_or_none(input_fd)),
          m_on_thread_start(std::move(on_thread_start)),
          m_stop_event(check_syscall("eventfd", ::eventfd(0, EFD_CLOEXEC))),
          m_thread([this](std::stop_token stop) { run(stop); }) {}

StdinPump::~StdinPump() {
    // The stop token wakes wait_for_receive_space(); the eventfd wakes poll(). An eventfd
    // write can only fail when its counter would overflow, which one write cannot cause.
    m_thread.request_stop();
    ::eventfd_write(m_stop_event.get(), 1);
    // m_thread's destructor joins.
}

void StdinPump::throw_if_failed() const {
    std::scoped_lock lock(m_failure_mutex);
    if (m_failure) std::rethrow_exception(m_failure);
}

// The thread's body: an Error must not escape a thread (that would terminate glassvm), so it
// is kept for throw_if_failed().
void StdinPump::run(std::stop_token stop) {
    try {
        if (m_on_thread_start) m_on_thread_start();
        pump(stop);
    } catch (...) {
        std::scoped_lock lock(m_failure_mutex);
        m_failure = std::current_exception();
    }
    m_finished = true;
}

void StdinPump::pump(std::stop_token stop) {
    if (m_input_fd < 0) return;  // nothing to read, ever
    std::array<uint8_t, kBufferSize> buffer;
    while (wait_for_input(stop)) {
        ssize_t count = ::read(m_input_fd, buffer.data(), buffer.size());
        if (count < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        check_syscall("read stdin", count);
        if (count == 0) return;  // end of input
        if (!deliver(std::span(buffer.data(), static_cast<size_t>(count)), stop)) return;
    }
}

// Returns true when read() will not block: data, end of input or an error to report. Returns
// false when asked to stop, or when the input fd is not open at all.
bool StdinPump::wait_for_input(std::stop_token stop) {
    std::array<pollfd, 2> fds{{{m_input_fd, POLLIN, 0}, {m_stop_event.get(), POLLIN, 0}}};
    while (!stop.stop_requested()) {
        int ready = ::poll(fds.data(), fds.size(), -1);
        if (ready < 0 && errno == EINTR) continue;
        check_syscall("poll stdin", ready);
        if (fds[1].revents != 0) return false;
        return (fds[0].revents & POLLNVAL) == 0;
    }
    return false;
}

// Offers `bytes` to the UART until it has taken them all; false if asked to stop first.
bool StdinPump::deliver(std::span<const uint8_t> bytes, std::stop_token stop) {
    while (true) {
        bytes = bytes.subspan(m_serial.receive(bytes));
        if (bytes.empty()) return true;
        if (!m_serial.wait_for_receive_space(stop)) return false;
    }
}

}  // namespace glassvm
