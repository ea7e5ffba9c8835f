// The checks on a box's limits and environment, shared by `glassvm box run` (its options) and
// glassvmd (POST /instances, which must refuse at create what the box would refuse at start).
// Errors are BadInput and begin with `option`: "--pids" for the CLI, "limits.pids" for the API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/container_config.hpp"

namespace glassvm {

constexpr uint64_t kMinimumBoxMemory = 4ull << 20;  // below this even the box's init cannot start
constexpr int64_t kMaxBoxPids = 4'194'304;          // the kernel's PID_MAX_LIMIT: pids.max accepts no more

// `bytes` (written by the user as `as_given`) when a box can run in that much memory.
uint64_t checked_box_memory(uint64_t bytes, std::string_view as_given, std::string_view option);
// The whole number from 1 to kMaxBoxPids that `text` is, or nothing.
std::optional<uint64_t> parse_box_pids(std::string_view text);
// "'TEXT' is not a number of processes from 1 to 4194304".
std::string not_a_process_count(std::string_view text);
// The cgroup CPU quota for `cpus` (0.01 to the CPUs this host has).
container::CpuQuota box_cpu_quota(double cpus, std::string_view option);
// Throws unless `assignment` is KEY=VALUE with a KEY.
void check_env_assignment(const std::string& assignment, std::string_view option);
// Adds `assignment` to `env`, replacing an earlier value of its KEY (after check_env_assignment).
void set_env(std::vector<std::string>& env, const std::string& assignment, std::string_view option);

}  // namespace glassvm
