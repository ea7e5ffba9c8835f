// `glassvm compare`: the probe run as a plain host process, in a glassvm box (a container), in
// a glassvm VM (on KVM and on the soft CPU), and — where installed — in runc, bubblewrap and a QEMU microvm; one table of
// whose kernel answered, what isolates it, and what it costs.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace glassvm {

struct CompareOptions {
    int runs = 5;      // measured runs per peer (after one warm-up), interleaved
    int calls = 1000;  // getppid calls the probe times
    bool json = false;
    std::string plot;   // PNG file for the latency and memory bars (gnuplot)
    std::string probe;  // default: workloads/probe next to the glassvm binary
    std::string accel;  // --accel: auto (both VM rows), kvm or soft (that row only); empty: $GLASSVM_ACCEL
};

CLI::App* add_compare_command(CLI::App& app, CompareOptions& options);

// Runs every peer, prints the table (or JSON), draws the plot; returns 0, or 1 when a peer
// that is installed failed.
int execute_compare(const CompareOptions& options);

}  // namespace glassvm
