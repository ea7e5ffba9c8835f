// Listening for gdb: address parsing, bind/listen, accept with a stop check.
#include "vmm/debug/gdb/gdb_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <charconv>

#include "base/error.hpp"

namespace glassvm::gdb {

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
