// The connection's reader thread and the send side. Acknowledgements follow the gdb manual,
// "Remote Protocol" → "Packet Acknowledgment"; interrupts, "Interrupts".
#include "vmm/debug/gdb/gdb_connection.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/error.hpp"
#include "vmm/debug/gdb/hex.hpp"

namespace glassvm::gdb {

namespace {

// A gdb that stops reading for this long is treated as gone, so a send cannot block the vCPU
// thread forever.
constexpr timeval kSendTimeout{.tv_sec = 10, .tv_usec = 0};

}  // namespace

GdbConnection::GdbConnection(Fd socket, std::function<void(UrgentEvent)> on_urgent)
        : m_socket(std::move(socket)),
          m_wakeup(check_syscall("eventfd", ::eventfd(0, EFD_CLOEXEC))),
          m_on_urgent(std::move(on_urgent)),
          m_reader([this](std::stop_token stop) { read_loop(stop); }) {
    ::setsockopt(m_socket.get(), SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof kSendTimeout);
}

GdbConnection::~GdbConnection() {
    m_reader.request_stop();
    uint64_t one = 1;
    (void)!::write(m_wakeup.get(), &one, sizeof one);
    m_reader.join();
    ::shutdown(m_socket.get(), SHUT_RDWR);
}

void GdbConnection::read_loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
        pollfd watched[2] = {{m_socket.get(), POLLIN, 0}, {m_wakeup.get(), POLLIN, 0}};
        if (::poll(watched, 2, -1) < 0) continue;  // EINTR
        if (watched[1].revents) return;
        char buffer[4096];
        ssize_t received = ::recv(m_socket.get(), buffer, sizeof buffer, 0);
        if (received < 0 && errno == EINTR) continue;
        if (received <= 0) {
            mark_disconnected();  // a hang-up, even mid-packet: the partial packet is dropped
            return;
        }
        for (const DecodedEvent& event : m_decoder.feed(std::string_view(buffer, static_cast<size_t>(received))))
            handle(event);
    }
}

void GdbConnection::handle(const DecodedEvent& event) {
    using Kind = DecodedEvent::Kind;
    bool acknowledging = [&] {
        std::lock_guard lock(m_mutex);
        return m_acknowledging;
    }();
    switch (event.kind) {
        case Kind::Packet:
            if (acknowledging) send_raw("+");
            {
                std::lock_guard lock(m_mutex);
                m_packets.push_back(event.data);
            }
            m_arrived.notify_all();
            return;
        case Kind::Corrupt:
            if (acknowledging) send_raw("-");  // gdb sends it again
            return;
        case Kind::Nack: {
            std::lock_guard lock(m_send_mutex);
            if (acknowledging && !m_last_sent.empty())
                ::send(m_socket.get(), m_last_sent.data(), m_last_sent.size(), MSG_NOSIGNAL);
            return;
        }
        case Kind::Interrupt:
            m_on_urgent(UrgentEvent::Interrupt);
            return;
        case Kind::Ack:
            return;
    }
}

void GdbConnection::mark_disconnected() {
    {
        std::lock_guard lock(m_mutex);
        m_disconnected = true;
    }
    m_arrived.notify_all();
    m_on_urgent(UrgentEvent::Disconnected);
}

std::optional<std::string> GdbConnection::next_packet(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    m_arrived.wait_for(lock, timeout, [&] { return !m_packets.empty() || m_disconnected; });
    if (m_packets.empty()) return std::nullopt;
    std::string data = std::move(m_packets.front());
    m_packets.pop_front();
    return data;
}

bool GdbConnection::disconnected() const {
    std::lock_guard lock(m_mutex);
    return m_disconnected && m_packets.empty();
}

void GdbConnection::send_packet(std::string_view data) {
    std::string framed = frame_packet(data);
    {
        std::lock_guard lock(m_send_mutex);
        m_last_sent = framed;
    }
    send_raw(framed);
}

void GdbConnection::send_console_output(std::string_view text) { send_packet("O" + to_hex(text)); }

void GdbConnection::stop_acknowledging() {
    std::lock_guard lock(m_mutex);
    m_acknowledging = false;
}

void GdbConnection::send_raw(std::string_view bytes) {
    std::lock_guard lock(m_send_mutex);
    while (!bytes.empty()) {
        ssize_t sent = ::send(m_socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) {
            // gdb is gone, or stopped reading for kSendTimeout: end the connection, so the
            // reader reports the hang-up and the guest is detached rather than wedged.
            ::shutdown(m_socket.get(), SHUT_RDWR);
            return;
        }
        bytes.remove_prefix(static_cast<size_t>(sent));
    }
}

}  // namespace glassvm::gdb
