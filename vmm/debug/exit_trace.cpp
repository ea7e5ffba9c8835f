// The exit trace: formats each exit after it was handled (so reads show the data returned and
// the line names the device) and appends it to the trace file.
#include "vmm/debug/exit_trace.hpp"

#include <cstring>

#include "base/error.hpp"
#include "vmm/debug/exit_format.hpp"

namespace glassvm {

TraceFormat parse_trace_format(std::string_view text) {
    if (text == "text") return TraceFormat::Text;
    if (text == "jsonl") return TraceFormat::JsonLines;
    throw_bad_input("--trace-format: '{}' is not a format (use text or jsonl)", text);
}

namespace {

// `--trace-exits` takes an optional FILE, so `glassvm run --trace-exits kernel.elf` reads the
// kernel's name as the trace file. Never truncate an ELF program for that reason.
void refuse_to_overwrite_a_program(const std::string& path) {
    std::FILE* existing = std::fopen(path.c_str(), "re");
    if (!existing) return;
    char magic[4] = {};
    size_t read = std::fread(magic, 1, sizeof magic, existing);
    std::fclose(existing);
    if (read == sizeof magic && std::memcmp(magic,
                                            "\x7f"
                                            "ELF",
                                            4) == 0)
        throw_bad_input(
            "--trace-exits: {} is an ELF program, not a trace file; write --trace-exits=FILE, or "
            "name the kernel before --trace-exits",
            path);
}

}  // namespace

ExitTrace::ExitTrace(const std::string& path, TraceFormat format)
        : m_format(format), m_file(stderr), m_owns_file(false) {
    if (path != "-") {
        refuse_to_overwrite_a_program(path);
        m_file = std::fopen(path.c_str(), "we");
        if (!m_file) throw_bad_input("--trace-exits: cannot write {}: {}", path, std::strerror(errno));
        m_owns_file = true;
    }
}

ExitTrace::~ExitTrace() {
    if (m_owns_file)
        std::fclose(m_file);
    else
        std::fflush(m_file);
}

std::string ExitTrace::format_line(TraceFormat format, const ExitEvent& event, const HandledExit& handled) {
    double microseconds = std::chrono::duration<double, std::micro>(event.since_boot).count();
    std::string device = handled.device     ? std::string(handled.device->name())
                         : handled.stops_vm ? "(ends the VM)"
                                            : "(unmapped)";
    if (format == TraceFormat::JsonLines) {
        std::string device_json = handled.device ? fmt::format("\"{}\"", handled.device->name()) : "null";
        return fmt::format("{{\"seq\":{},\"t_us\":{:.3f},\"vcpu\":{},{},\"rip\":{},\"device\":{},\"ends_vm\":{}}}",
                           event.sequence, microseconds, event.vcpu, exit_json_fields(event.exit), event.rip,
                           device_json, handled.stops_vm);
    }
    return fmt::format("#{:<6} {:>12.3f}us vcpu{} {:<48} rip={:#x} -> {}", event.sequence, microseconds, event.vcpu,
                       describe_exit(event.exit), event.rip, device);
}

void ExitTrace::after_exit(VcpuContext&, const ExitEvent& event, const HandledExit& handled) {
    std::string line = format_line(m_format, event, handled);
    std::lock_guard lock(m_mutex);
    std::fputs(line.c_str(), m_file);
    std::fputc('\n', m_file);
    if (handled.stops_vm) std::fflush(m_file);
}

}  // namespace glassvm
