// The compare table, caption and plot: see compare_report.hpp.
#include "app/compare_report.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/subprocess.hpp"

namespace glassvm {

namespace fs = std::filesystem;
using nlohmann::json;

HostMachine describe_machine() {
    HostMachine machine;
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (machine.cpu.empty() && line.starts_with("model name")) machine.cpu = line.substr(line.find(':') + 2);
        if (line.starts_with("flags") && line.find(" hypervisor") != std::string::npos) machine.nested = true;
    }
    utsname names{};
    ::uname(&names);
    machine.kernel = fmt::format("{} {}", names.sysname, names.release);
    machine.cpu += fmt::format(", {} CPUs", ::sysconf(_SC_NPROCESSORS_ONLN));
    return machine;
}

std::string caption(const HostMachine& machine, int runs, int short_calls, int calls) {
    std::string text = fmt::format(
        "Measured on {} (kernel {}): medians of {} interleaved runs after one warm-up; "
        "start→exit and peak RSS from runs of the probe with {} calls, getppid from runs with {} calls.",
        machine.cpu, machine.kernel, runs, short_calls, calls);
    if (machine.nested)
        text +=
            " This machine is itself a virtual machine (CPUID hypervisor bit): /dev/kvm is nested, so every VM exit "
            "costs far more than on bare metal, and the VM rows' numbers are not bare metal's.";
    return text;
}

void print_table(const json& rows, const std::string& caption_text) {
    std::vector<std::vector<std::string>> cells = {{"peer", "uname (kernel that answered)", "pid", "hostname",
                                                    "isolated by", "start→exit", "peak RSS", "getppid", "VM exit"}};
    for (const json& row : rows) {
        if (row["status"] != "ok") {
            cells.push_back({row["name"], fmt::format("{}: {}", row["status"].get<std::string>(),
                                                      row["reason"].get<std::string>())});
            continue;
        }
        bool vm = row["kernel"] == "own";  // a VM row: glassvm's (KVM, soft CPU) or QEMU's
        cells.push_back({row["name"],
                         fmt::format("{} {} ({})", row["sysname"].get<std::string>(), row["release"].get<std::string>(),
                                     row["kernel"] == "host" ? "the host's, shared" : "its own"),
                         std::to_string(row["pid"].get<int>()), row["hostname"], row["isolation"],
                         fmt::format("{:.1f} ms", row["latency_ms"]["median"].get<double>()),
                         fmt::format("{:.1f} MiB", row["peak_rss_kib"]["median"].get<double>() / 1024),
                         row["getppid_ns"]["median"].is_null()
                             ? fmt::format("n/a ({})", row["getppid_ns"]["probe_said"].get<std::string>())
                             : fmt::format("{:.0f} ns", row["getppid_ns"]["median"].get<double>()),
                         !row["vm_exit_ns"].is_null()
                             ? fmt::format("{:.1f} us", row["vm_exit_ns"]["median"].get<double>() / 1000)
                         : vm ? "n/a"
                              : "—"});
    }
    std::vector<size_t> widths(cells[0].size(), 0);
    auto width = [](const std::string& s) {  // UTF-8 characters, not bytes
        return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
    };
    for (const auto& line : cells)
        if (line.size() == widths.size())
            for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], width(line[i]));
    for (const auto& line : cells) {
        std::string text;
        for (size_t i = 0; i < line.size(); ++i) {
            bool last = i + 1 == line.size();
            text += line[i] + (last ? "" : std::string(widths[i] - std::min(widths[i], width(line[i])) + 2, ' '));
        }
        fmt::print("{}\n", text.substr(0, text.find_last_not_of(' ') + 1));
    }
    fmt::print("\n{}\n", caption_text);
    fmt::print(
        "start→exit: fork to wait4, whole program. peak RSS: wait4's ru_maxrss, the largest single process of "
        "the peer's process tree (not a sum); it includes the forked copy of glassvm before exec, so the host "
        "process row is the floor. getppid: the probe's median per call. VM exit: the median round trip of a port-I/O "
        "exit from glassvm's own --exit-stats (QEMU's cannot be seen from outside: n/a).\n");
}

void draw_plot(const json& rows, const std::string& caption_text, const std::string& file) {
    fs::path data = fs::temp_directory_path() / fmt::format("glassvm-compare-{}.dat", ::getpid());
    {
        std::ofstream out(data);
        for (const json& row : rows)
            if (row["status"] == "ok")
                out << fmt::format("\"{}\" {:.3f} {:.3f}\n", row["name"].get<std::string>(),
                                   row["latency_ms"]["median"].get<double>(),
                                   row["peak_rss_kib"]["median"].get<double>() / 1024);
    }
    std::string script = fmt::format(
        "set terminal pngcairo size 1100,520 font 'Sans,10'\nset output '{}'\n"
        "set multiplot layout 1,2 title \"{}\" font 'Sans,8'\nset style fill solid 0.8\nset boxwidth 0.6\n"
        "set xtics rotate by -30 scale 0\nset grid ytics\nunset key\nset yrange [0:*]\n"
        "set title 'start → exit (ms, median)'\nplot '{}' using 0:2:xtic(1) with boxes lc rgb '#4472c4', '' using "
        "0:2:(sprintf('%.1f',$2)) with labels offset 0,0.7\n"
        "set title 'peak RSS (MiB, largest process)'\nplot '{}' using 0:3:xtic(1) with boxes lc rgb '#ed7d31', '' "
        "using 0:3:(sprintf('%.1f',$3)) with labels offset 0,0.7\n"
        "unset multiplot\n",
        file,
        caption_text.substr(0, caption_text.find(':')) +
            (caption_text.find("nested") != std::string::npos ? " — nested KVM, not bare metal" : ""),
        data.string(), data.string());
    fs::path script_file = data;
    script_file.replace_extension(".gp");
    std::ofstream(script_file) << script;
    ProgramResult gnuplot = run_program({"gnuplot", script_file.string()}, std::chrono::seconds(30));
    fs::remove(data);
    fs::remove(script_file);
    if (gnuplot.status != 0)
        throw Error(ErrorKind::System, fmt::format("--plot: gnuplot failed ({}): {}", gnuplot.status, gnuplot.err));
}

}  // namespace glassvm
