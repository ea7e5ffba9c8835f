// Host input for the guest's serial port: a thread that waits for bytes on a host fd (stdin)
// and hands them to Serial16550::receive(), so no vCPU ever blocks on the host terminal.
//
// The thread poll()s the input together with an eventfd that the destructor signals, so it
// stops promptly whatever the input is: a quiet terminal, a pipe, /dev/null, a closed fd.
// When the UART's receiver is full the thread keeps the unaccepted bytes and sleeps in
// Serial16550::wait_for_receive_space() until the guest reads some (or it is told to stop):
// host input is never dropped, it waits on the host side, at most one buffer's worth.
// End of input (EOF, hangup, an fd that is not open) simply ends reading.
#pragma once

#include <unistd.h>

#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <stop_token>
#include <thread>

#include "base/fd.hpp"
#include "vmm/devices/serial_16550.hpp"

namespace glassvm {

class StdinPump {
public:
    // Starts reading `input_fd` (not owned, and its flags are left alone: O_NONBLOCK would
    // change the terminal for every process sharing it) into `serial`, which must outlive
    // the pump. `on_thread_start`, if given, runs first on the pump's thread (the sandbox
    // confines it there); an Error from it ends reading as a read error would.
    explicit StdinPump(Serial16550& serial, int input_fd = STDIN_FILENO, std::function<void()> on_thread_start = {});
    // Stops the thread and waits for it; prompt even when it is blocked.
    ~StdinPump();

    StdinPump(const StdinPump&) = delete;
    StdinPump& operator=(const StdinPump&) = delete;

    // True once reading has ended on its own: end of input, or an error.
    bool finished() const { return m_finished.load(); }
    // Rethrows the Error that ended reading ("read stdin: Input/output error"), if any.
    void throw_if_failed() const;

private:
    void run(std::stop_token stop);
    void pump(std::stop_token stop);
    bool wait_for_input(std::stop_token stop);
    bool deliver(std::span<const uint8_t> bytes, std::stop_token stop);

    Serial16550& m_serial;
    const int m_input_fd;  // -1 when it was not open
    std::function<void()> m_on_thread_start;
    Fd m_stop_event;  // an eventfd: readable once the destructor wants the thread to stop
    std::atomic<bool> m_finished{false};
    mutable std::mutex m_failure_mutex;
    std::exception_ptr m_failure;
    std::jthread m_thread;  // last: starts after, and is joined before, everything it uses
};

}  // namespace glassvm
