// How a run of the VM ends, and the one place every thread reports that it should end.
// The first report wins: a guest that writes the exit port while the timeout fires gets
// exactly one outcome.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

namespace glassvm {

enum class StopReason {
    GuestExit,         // the guest wrote its status to the exit device
    Halted,            // HLT with nothing to wake the CPU
    TripleFault,       // KVM_EXIT_SHUTDOWN
    EntryFailure,      // KVM_EXIT_FAIL_ENTRY
    EmulationFailure,  // KVM_EXIT_INTERNAL_ERROR
    UnknownExit,       // an exit reason glassvm does not handle
    Timeout,           // --timeout expired
    VmmError,          // glassvm itself failed while running
    Stopped,           // the user ended it (the stepper's quit, gdb's kill)
};

std::string_view to_string(StopReason reason);

struct StopReport {
    StopReason reason;
    int exit_status;      // glassvm's process exit status for this ending
    std::string message;  // one line for the user; empty for a normal guest exit
    std::string details;  // registers, bytes at RIP… (may be several lines)
};

class StopControl {
public:
    // Records `report` if nothing was reported before; returns whether it was recorded.
    bool request(StopReport report);
    // Cheap enough for the exit loop: one atomic load.
    bool stopping() const { return m_stopping.load(std::memory_order_acquire); }
    // Waits until a stop is requested or `deadline` passes; returns the report, if any.
    std::optional<StopReport> wait_until(std::chrono::steady_clock::time_point deadline);
    std::optional<StopReport> wait();

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::optional<StopReport> m_report;
    std::atomic<bool> m_stopping{false};
};

}  // namespace glassvm
