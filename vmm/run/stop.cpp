// StopControl: first report wins, waiters wake.
#include "vmm/run/stop.hpp"

namespace glassvm {

std::string_view to_string(StopReason reason) {
    switch (reason) {
        case StopReason::GuestExit:
            return "guest exit";
        case StopReason::Halted:
            return "halted";
        case StopReason::TripleFault:
            return "triple fault";
        case StopReason::EntryFailure:
            return "VM entry failure";
        case StopReason::EmulationFailure:
            return "emulation failure";
        case StopReason::UnknownExit:
            return "unknown exit";
        case StopReason::Timeout:
            return "timeout";
        case StopReason::VmmError:
            return "VMM error";
        case StopReason::Stopped:
            return "stopped by the user";
    }
    return "?";
}

bool StopControl::request(StopReport report) {
    {
        std::lock_guard lock(m_mutex);
        if (m_report) return false;
        m_report = std::move(report);
        m_stopping.store(true, std::memory_order_release);
    }
    m_changed.notify_all();
    return true;
}

std::optional<StopReport> StopControl::wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_mutex);
    m_changed.wait_until(lock, deadline, [&] { return m_report.has_value(); });
    return m_report;
}

std::optional<StopReport> StopControl::wait() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_report.has_value(); });
    return m_report;
}

}  // namespace glassvm
