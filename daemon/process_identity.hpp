// A process named so that a reused pid cannot be mistaken for it: its pid plus its start time
// (field 22 of /proc/PID/stat, in clock ticks since boot). A restarted daemon uses it to tell
// a shim that still runs from one that died while the daemon was away.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace glassvm::daemon {

struct ProcessIdentity {
    pid_t pid = 0;
    std::uint64_t start_time = 0;
};

// The identity of `pid` now, or nothing when no such process exists (or it is a zombie).
std::optional<ProcessIdentity> identify_process(pid_t pid);

// The identity of a child of this process that it has not reaped yet, running or already exited:
// until its parent reaps it, a zombie keeps its pid (no other process can take it) and its
// /proc/PID/stat, start time included. For the shim, whose workload may end before it looks.
std::optional<ProcessIdentity> identify_child(pid_t child);

// True when the process `identity` names still runs (same pid, same start time, not a zombie).
bool is_alive(const ProcessIdentity& identity);

}  // namespace glassvm::daemon
