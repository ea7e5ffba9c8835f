// The exit-watching options of `glassvm run` and the observers they create.
#include "app/watch_options.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "vmm/debug/exit_stats.hpp"
#include "vmm/debug/exit_stepper.hpp"
#include "vmm/debug/exit_trace.hpp"
#include "vmm/debug/gdb/gdb_stub.hpp"

namespace glassvm {

void add_watch_options(CLI::App& run, WatchOptions& options) {
    run.add_option("--trace-exits", options.trace_file,
                   "Print one line per VM exit, to FILE or (with no FILE or '-') to stderr")
        ->expected(0, 1)
        ->default_str("-");
    run.add_option("--trace-format", options.trace_format, "Trace format: text or jsonl")->capture_default_str();
    run.add_flag("--exit-stats", options.exit_stats,
                 "At the end, print where the time went per exit reason and device");
    run.add_flag("--json", options.json, "Print the exit statistics as JSON (implies --exit-stats)");
    run.add_flag("--step-exits", options.step_exits,
                 "Stop before each VM exit and read commands from stdin ('help' lists them); "
                 "the guest gets no serial input");
    run.add_option("--gdb", options.gdb_address,
                   "Wait for gdb on [HOST:]PORT (host 127.0.0.1 unless given) before the guest's first instruction");
}

Watchers::Watchers(const WatchOptions& options, AcceleratorChoice accelerator) : m_options(options) {
    if (m_options.json) m_options.exit_stats = true;
    if (m_options.trace_file) {
        TraceFormat format = parse_trace_format(m_options.trace_format);
        m_trace = std::make_unique<ExitTrace>(m_options.trace_file->empty() ? "-" : *m_options.trace_file, format);
    } else if (m_options.trace_format != "text") {
        parse_trace_format(m_options.trace_format);  // still reject a bad value
    }
    if (m_options.exit_stats || m_options.step_exits || !m_options.gdb_address.empty())
        m_stats = std::make_unique<ExitStats>();
    if (m_options.step_exits) m_stepper = std::make_unique<ExitStepper>(STDIN_FILENO, stderr, m_stats.get());
    if (!m_options.gdb_address.empty())
        m_gdb = std::make_unique<GdbStub>(m_options.gdb_address, m_stats.get(), accelerator);
}

Watchers::~Watchers() = default;

void Watchers::attach(Machine& machine) {
    // Order matters: the trace and statistics see an exit before the stepper or gdb stop on it.
    if (m_trace) machine.add_observer(*m_trace);
    if (m_stats) machine.add_observer(*m_stats);
    if (m_stepper) machine.add_observer(*m_stepper);
    if (m_gdb) machine.add_observer(*m_gdb);
}

void Watchers::report_after_run() const {
    if (!m_options.exit_stats || !m_stats) return;
    std::string text = m_options.json ? m_stats->render_json() + "\n" : m_stats->render_table();
    std::fputs(text.c_str(), stderr);
}

}  // namespace glassvm
