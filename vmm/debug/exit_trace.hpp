// `--trace-exits[=FILE]`: one line per VM exit — sequence number, µs since boot, vCPU, reason
// and details, rip, and the device that handled it — as text or JSON lines.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "vmm/run/vcpu_observer.hpp"

namespace glassvm {

enum class TraceFormat {
    Text,
    JsonLines
};

// "text" or "jsonl"; anything else is BadInput naming --trace-format.
TraceFormat parse_trace_format(std::string_view text);

class ExitTrace final : public VcpuObserver {
public:
    // Writes to `path` (created or truncated), or to stderr when `path` is "-".
    ExitTrace(const std::string& path, TraceFormat format);
    ~ExitTrace() override;
    ExitTrace(const ExitTrace&) = delete;
    ExitTrace& operator=(const ExitTrace&) = delete;

    void after_exit(VcpuContext& context, const ExitEvent& event, const HandledExit& handled) override;

    // The line for one exit, without the newline (exposed for tests).
    static std::string format_line(TraceFormat format, const ExitEvent& event, const HandledExit& handled);

private:
    TraceFormat m_format;
    std::FILE* m_file;
    bool m_owns_file;
    std::mutex m_mutex;  // vCPU threads share the file
};

}  // namespace glassvm
