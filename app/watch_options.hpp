// The `glassvm run` options for watching a VM's exits — trace, statistics, stepper, GDB stub —
// and the observers they create for one run.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "vmm/run/machine.hpp"

namespace glassvm {

class ExitTrace;
class ExitStats;
class ExitStepper;
class GdbStub;

struct WatchOptions {
    std::optional<std::string> trace_file;  // --trace-exits[=FILE]; "-" is stderr
    std::string trace_format = "text";      // --trace-format text|jsonl
    bool exit_stats = false;                // --exit-stats
    bool json = false;                      // --json: statistics as JSON
    bool step_exits = false;                // --step-exits
    std::string gdb_address;                // --gdb [HOST:]PORT; empty: no stub

    // The guest's serial input cannot share stdin with the interactive stepper.
    bool needs_stdin() const { return step_exits; }
};

void add_watch_options(CLI::App& run, WatchOptions& options);

// The observers of one run, created from the options, attached to the machine before it runs
// and asked to report after it ends.
class Watchers {
public:
    // `accelerator`: the VM's backend, which the GDB stub probes for guest debugging.
    explicit Watchers(const WatchOptions& options, AcceleratorChoice accelerator = AcceleratorChoice::Auto);
    ~Watchers();
    Watchers(const Watchers&) = delete;
    Watchers& operator=(const Watchers&) = delete;

    void attach(Machine& machine);
    // Prints what was asked for at the end (the statistics table or JSON) on stderr.
    void report_after_run() const;

private:
    WatchOptions m_options;
    std::unique_ptr<ExitTrace> m_trace;
    std::unique_ptr<ExitStats> m_stats;
    std::unique_ptr<ExitStepper> m_stepper;
    std::unique_ptr<GdbStub> m_gdb;  // last: attached last, so it stops after the others saw the exit
};

}  // namespace glassvm
