// The shim: one small process per running instance, like containerd's shim. The daemon starts
// it detached (its own session, reparented away from the daemon), so instances outlive a
// daemon that crashes or restarts. The shim
//   1. for a box, enters a mount namespace of its own and mounts the instance's root
//      filesystem there: an overlay of the image's layers with the instance's upper/ dir. The
//      mount belongs to the shim: it is unmounted when the shim returns, and if the shim is
//      killed the kernel drops it with the namespace, so no mount is ever left behind;
//   2. starts the instance's launch command (glassvm box run … / glassvm run …) with stdin on
//      /dev/null, stdout and stderr appended to the instance's log file, no other descriptor;
//   3. records both pids with their start times, and where the box's cgroup will be, in
//      shim.json and tells the daemon it runs;
//   4. passes SIGTERM, SIGINT and SIGHUP on to it, waits for it, ends whatever is left in the
//      box's cgroup (box_cgroups.hpp) and writes exit.json.
#pragma once

#include <filesystem>

namespace glassvm::daemon {

// Runs the instance in `instance_directory`; writes one byte to `ready_fd` once shim.json is
// written (then closes it). Returns the shim's exit status.
int run_shim(const std::filesystem::path& instance_directory, int ready_fd);

// Starts `shim_program shim --dir DIR --ready-fd N` detached (double fork, setsid) and waits
// until it reports that the instance runs or fails. Throws when it could not start.
void launch_shim(const std::filesystem::path& shim_program, const std::filesystem::path& instance_directory);

}  // namespace glassvm::daemon
