// Reading a process's state and start time from /proc/PID/stat (proc(5)).
#include "daemon/process_identity.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace glassvm::daemon {

std::optional<ProcessIdentity> identify_process(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(file, line)) return std::nullopt;
    // "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so read after the last ')'.
    size_t close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    std::string state;
    fields >> state;  // field 3
    if (state == "Z" || state == "X") return std::nullopt;
    std::string skipped;
    for (int field = 4; field < 22; ++field) fields >> skipped;
    std::uint64_t start_time = 0;
    if (!(fields >> start_time)) return std::nullopt;
    return ProcessIdentity{pid, start_time};
}

bool is_alive(const ProcessIdentity& identity) {
    auto now = identify_process(identity.pid);
    return now && now->start_time == identity.start_time;
}

}  // namespace glassvm::daemon
