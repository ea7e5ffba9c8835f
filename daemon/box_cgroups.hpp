// Ending a daemon box through its cgroups, so that no process of it outlives the instance. A
// box's processes are `glassvm box run` (the shim's child) and everything in the cgroup it makes
// for the box: "glassvm-box-<its pid>", below its own cgroup (v1) or beside it (v2), in every
// tree (container/cgroups.hpp). `glassvm box run` inherits the shim's cgroups, so the shim
// lists where that cgroup can be (box_cgroup_candidates) in shim.json; whoever ends the
// instance — the shim when its child has ended, the daemon when the shim was killed (remove,
// start again, and the daemon's own start) — kills every process in those cgroups, waits until
// they are empty and removes them (end_box_cgroups). As runc's `kill --all` and containerd's
// shim do, the cgroup, not a pid, is what "the box" means: a pid can be reused or outlived.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace glassvm::daemon {

// Where the cgroup of the box that `glassvm box run` with pid `box_run` makes can be, given that
// it runs in the calling process's cgroups: below, beside and at the top of each of them.
std::vector<std::string> box_cgroup_candidates(pid_t box_run);

// For each of `directories` that exists: kills every process in it and in the cgroups below it
// (cgroup.kill on v2; on v1, SIGKILL to each pid in cgroup.procs, again until none is left),
// waits until they are empty, and removes them. Gives up after `timeout`, throwing an Error that
// names the cgroup still in use.
void end_box_cgroups(const std::vector<std::string>& directories, std::chrono::milliseconds timeout);

}  // namespace glassvm::daemon
