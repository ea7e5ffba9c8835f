// What `glassvm compare` prints: the side-by-side table with its caption, and the plot.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace glassvm {

// The machine the comparison ran on, for the caption.
struct HostMachine {
    std::string cpu, kernel;
    bool nested = false;  // CPUID's hypervisor bit: this machine is itself a VM
};

HostMachine describe_machine();
std::string caption(const HostMachine& machine, int runs, int short_calls, int calls);
// One row per peer from the summarised JSON rows, then the caption and how each column is measured.
void print_table(const nlohmann::json& rows, const std::string& caption_text);
// Latency and memory bars into `file` (PNG) with gnuplot.
void draw_plot(const nlohmann::json& rows, const std::string& caption_text, const std::string& file);

}  // namespace glassvm
