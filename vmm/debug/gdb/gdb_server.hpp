// The TCP side of `glassvm run --gdb [HOST:]PORT`: parsing the address, the listening socket
// (SO_REUSEADDR, so a restarted glassvm can reuse the port at once) and waiting for gdb to
// connect without ignoring the VM's other reasons to stop (a timeout, say).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/fd.hpp"

namespace glassvm::gdb {

struct ListenAddress {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: let the kernel choose (the chosen port is printed)
};

// "1234", "127.0.0.1:1234", "localhost:1234", "0.0.0.0:0"; BadInput Error otherwise.
ListenAddress parse_listen_address(std::string_view text);

class GdbListener {
public:
    // Binds and listens; an Error naming the address when that fails (port in use, bad host).
    explicit GdbListener(const ListenAddress& address);

    // "127.0.0.1:1234", with the port actually bound.
    const std::string& address() const { return m_bound; }

    // Waits for a connection, checking `give_up` a few times a second; nullopt when it said
    // to give up. The connection has TCP_NODELAY: the protocol is many small packets.
    std::optional<Fd> accept(const std::function<bool()>& give_up);

private:
    Fd m_socket;
    std::string m_bound;
};

// How often waits on gdb look at the VM's other reasons to stop.
inline constexpr std::chrono::milliseconds kStopCheckInterval{100};

}  // namespace glassvm::gdb
