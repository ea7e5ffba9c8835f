// Listening for gdb; the connection's reader thread and the send side. Acknowledgements follow the gdb manual,
// "Remote Protocol" → "Packet Acknowledgment"; interrupts, "Interrupts".
#include "vmm/debug/gdb/gdb_connection.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <charconv>
#include "base/error.hpp"
#include "vmm/debug/gdb/packet.hpp"

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

namespace {

uint16_t parse_port(std::string_view text, std::string_view whole) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > 65535)
        throw_bad_input("--gdb: '{}' is not [HOST:]PORT with PORT from 0 to 65535", whole);
    return static_cast<uint16_t>(value);
}

sockaddr_in resolve(const ListenAddress& address) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int status = ::getaddrinfo(address.host.c_str(), nullptr, &hints, &found);
    if (status != 0 || !found)
        throw_bad_input("--gdb: cannot resolve host '{}': {}", address.host, ::gai_strerror(status));
    sockaddr_in socket_address = *reinterpret_cast<sockaddr_in*>(found->ai_addr);
    ::freeaddrinfo(found);
    socket_address.sin_port = htons(address.port);
    return socket_address;
}

std::string describe(const sockaddr_in& address) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
    return fmt::format("{}:{}", text, ntohs(address.sin_port));
}

}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
    ListenAddress address;
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        address.port = parse_port(text, text);
        return address;
    }
    if (colon == 0) throw_bad_input("--gdb: '{}' has an empty host; write PORT or HOST:PORT", text);
    address.host = std::string(text.substr(0, colon));
    address.port = parse_port(text.substr(colon + 1), text);
    return address;
}

GdbListener::GdbListener(const ListenAddress& address) {
    sockaddr_in socket_address = resolve(address);
    m_socket = Fd(check_syscall("socket", ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)));
    int yes = 1;
    check_syscall("setsockopt SO_REUSEADDR", ::setsockopt(m_socket.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes));
    std::string wanted = describe(socket_address);
    check_syscall(fmt::format("bind {} for gdb", wanted),
                  ::bind(m_socket.get(), reinterpret_cast<sockaddr*>(&socket_address), sizeof socket_address));
    check_syscall("listen", ::listen(m_socket.get(), 1));
    socklen_t length = sizeof socket_address;
    check_syscall("getsockname", ::getsockname(m_socket.get(), reinterpret_cast<sockaddr*>(&socket_address), &length));
    m_bound = describe(socket_address);
}

std::optional<Fd> GdbListener::accept(const std::function<bool()>& give_up) {
    while (!give_up()) {
        pollfd waiting{m_socket.get(), POLLIN, 0};
        int ready = ::poll(&waiting, 1, static_cast<int>(kStopCheckInterval.count()));
        if (ready <= 0) continue;  // the interval passed, or a signal (the vCPU kick) arrived
        int connection = ::accept4(m_socket.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0) continue;  // the client gave up already; wait for the next
        int yes = 1;
        ::setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        return Fd(connection);
    }
    return std::nullopt;
}

}  // namespace glassvm::gdb
