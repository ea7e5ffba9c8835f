// The TCP side of `--gdb [HOST:]PORT` (the address, the listening socket, accepting gdb) and
// one connected gdb. A reader thread owns the receiving side: it decodes packets (packet.hpp),
// answers `+`/`-` itself, resends our last packet when gdb asks, and queues packets for the
// vCPU thread, which serves them while the guest is stopped. Two events cannot wait for the
// vCPU thread — gdb's Ctrl-C and gdb hanging up while the guest runs — so the reader also
// reports those at once through `on_urgent`, and the stub kicks the vCPU.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <cstdint>
#include "base/fd.hpp"
#include "vmm/debug/gdb/packet.hpp"

namespace glassvm::gdb {

enum class UrgentEvent {
    Interrupt,
    Disconnected
};

class GdbConnection {
public:
    // Starts the reader thread on `socket`. `on_urgent` runs on that thread.
    GdbConnection(Fd socket, std::function<void(UrgentEvent)> on_urgent);
    // Stops and joins the reader and closes the socket (gdb sees the connection close).
    ~GdbConnection();
    GdbConnection(const GdbConnection&) = delete;
    GdbConnection& operator=(const GdbConnection&) = delete;

    // The next packet's data, waiting at most `timeout`. nullopt on timeout or once gdb has
    // hung up and every packet before that was taken (then disconnected() is true).
    std::optional<std::string> next_packet(std::chrono::milliseconds timeout);
    bool disconnected() const;

    // Frames and sends `data` (already escaped where binary); remembered for a resend.
    void send_packet(std::string_view data);
    // `O` console output: text gdb prints as it is (gdb manual, "Stop Reply Packets").
    void send_console_output(std::string_view text);
    // After our reply to QStartNoAckMode: neither side acknowledges from now on.
    void stop_acknowledging();

private:
    void read_loop(std::stop_token stop);
    void handle(const DecodedEvent& event);
    void send_raw(std::string_view bytes);
    void mark_disconnected();

    Fd m_socket;
    Fd m_wakeup;  // an eventfd: the destructor's way to end the reader's poll()
    std::function<void(UrgentEvent)> m_on_urgent;
    PacketDecoder m_decoder;  // reader thread only

    mutable std::mutex m_mutex;
    std::condition_variable m_arrived;
    std::deque<std::string> m_packets;
    bool m_disconnected = false;
    bool m_acknowledging = true;

    std::mutex m_send_mutex;
    std::string m_last_sent;  // the last framed packet, for `-`

    std::jthread m_reader;  // last: started after every member it uses
};

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
