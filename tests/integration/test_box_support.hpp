// What the box tests share: skipping when not root, a busybox rootfs built once per build
// tree (scripts/make-rootfs, with the probe and isolation-check), and running
// `glassvm box run` on it.
#pragma once

#include <string>
#include <vector>

#include "process.hpp"

namespace glassvm::test {

// Ends the test as skipped (status 77), saying why, unless running as root: creating
// namespaces and cgroups for real needs it (the rootless test switches to nobody itself).
void require_root();

// A path in the source tree (scripts/make-rootfs, …).
std::string source_path(const std::string& relative);

// build/box-test-rootfs, (re)made by scripts/make-rootfs when missing or older than the
// probe or isolation-check binaries. Safe with tests running in parallel (a file lock).
std::string box_rootfs();

// `glassvm box run --rootfs <box_rootfs()> OPTIONS -- COMMAND…`.
ProcessResult run_box(const std::vector<std::string>& options, const std::vector<std::string>& command,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

// `sh -c SCRIPT` in a default box.
ProcessResult box_shell(const std::string& script, const std::vector<std::string>& options = {});

// The host's /proc/self/mountinfo, mount ids and all.
std::string host_mountinfo();

// The first cgroup directory named `name` under /sys/fs/cgroup (any tree), or "".
std::string find_box_cgroup(const std::string& name);

}  // namespace glassvm::test
