// Reading a process's state and start time from /proc/PID/stat (proc(5)).
#include "daemon/process_identity.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace glassvm::daemon {

namespace {

struct ProcessStat {
    std::string state;  // field 3: R, S, D, Z (zombie), X (dead), …
    std::uint64_t start_time = 0;
};

std::optional<ProcessStat> read_stat(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(file, line)) return std::nullopt;
    // "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so read after the last ')'.
    size_t close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    ProcessStat stat;
    fields >> stat.state;  // field 3
    std::string skipped;
    for (int field = 4; field < 22; ++field) fields >> skipped;
    if (!(fields >> stat.start_time)) return std::nullopt;
    return stat;
}

}  // namespace

std::optional<ProcessIdentity> identify_process(pid_t pid) {
    std::optional<ProcessStat> stat = read_stat(pid);
    if (!stat || stat->state == "Z" || stat->state == "X") return std::nullopt;
    return ProcessIdentity{pid, stat->start_time};
}

std::optional<ProcessIdentity> identify_child(pid_t child) {
    std::optional<ProcessStat> stat = read_stat(child);
    if (!stat || stat->state == "X") return std::nullopt;
    return ProcessIdentity{child, stat->start_time};
}

bool is_alive(const ProcessIdentity& identity) {
    auto now = identify_process(identity.pid);
    return now && now->start_time == identity.start_time;
}

}  // namespace glassvm::daemon
