// Driving `glassvm run --gdb` from the integration tests: glassvm started in the background
// (listening on a port the kernel picks, read back from its "waiting for gdb on" line), then
// either the real gdb client in batch mode or a raw socket that speaks — or garbles — the
// remote protocol by hand.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"

namespace glassvm::test {

class GlassvmUnderGdb {
public:
    // Starts `glassvm run --gdb 127.0.0.1:0 ARGUMENTS…` and waits until it listens.
    explicit GlassvmUnderGdb(const std::vector<std::string>& arguments);
    ~GlassvmUnderGdb();  // kills glassvm if it is still running
    GlassvmUnderGdb(const GlassvmUnderGdb&) = delete;
    GlassvmUnderGdb& operator=(const GlassvmUnderGdb&) = delete;

    uint16_t port() const { return m_port; }
    // Waits for glassvm to end (killing it after `timeout`): its status, stdout and stderr.
    ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

private:
    std::string read_stderr() const;

    pid_t m_pid = -1;
    std::string m_out_path;
    std::string m_err_path;
    uint16_t m_port = 0;
};

// gdb -batch -nx, x86-64, connected to the stub at `port`, then `commands` (one -ex each).
// `out` holds gdb's stdout and stderr together, in order.
ProcessResult run_gdb(uint16_t port, const std::vector<std::string>& commands);

// A hand-driven TCP connection to the stub.
class RawGdbClient {
public:
    explicit RawGdbClient(uint16_t port);
    ~RawGdbClient();
    void send(std::string_view bytes);
    // Reads until `text` has arrived or `timeout` passed; returns what arrived since the last
    // call, up to and including `text` (anything after it is kept for the next call).
    std::string read_until(std::string_view text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void close();

private:
    int m_socket = -1;
    std::string m_received;
    size_t m_consumed = 0;
};

// "$DATA#CS", as gdb frames a packet.
std::string framed(std::string_view data);

}  // namespace glassvm::test
