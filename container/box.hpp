// A box: one workload run in its own namespaces, root filesystem and cgroup, with fewer
// capabilities and a seccomp filter — a container, set up step by step in box.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "container/container_config.hpp"

namespace glassvm::container {

struct BoxOutcome {
    int exit_status = 0;                        // what glassvm exits with: the workload's status, 128 + signal
    std::optional<int> workload_wait_status;    // raw wait status, when the box's init reported it
    std::optional<int> init_signal;             // the box's init itself was killed by this signal
    uint64_t oom_kills = 0;                     // processes the OOM killer ended in the box
    std::optional<uint64_t> peak_memory_bytes;  // the box cgroup's high-water mark
};

// Runs the box to completion and returns how it ended. Throws glassvm::Error for anything that
// keeps the workload from starting (a set-up step inside the box included, with its message).
// If the command cannot be executed its message is printed and the outcome is 127 (not
// found) or 126 (not executable), as in a shell. Removes the cgroup and (with the box's mount
// namespace) every mount before returning, also on errors.
BoxOutcome run_box(const ContainerConfig& config);

// A sentence about an abnormal ending (killed by a signal, OOM kills), or "" for a normal exit.
std::string describe_ending(const BoxOutcome& outcome, const ContainerConfig& config);

}  // namespace glassvm::container
