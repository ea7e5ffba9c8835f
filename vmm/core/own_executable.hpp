// Where the running program's file is, for the files shipped next to it (the bundled guest and
// firmware, glassvmd, the probe), found without looking in /proc when the kernel already said.
#pragma once

#include <filesystem>

namespace glassvm {

// The canonical path of this process's executable: the path execve was given (the AT_EXECFN
// auxiliary vector entry), resolved with realpath(3), relative to the directory the process
// started in, which no glassvm process leaves (only container children change theirs, after
// clone); /proc/self/exe when that cannot be resolved (an executable deleted or run through a
// closed descriptor). Why not /proc/self/exe first: every /proc/PID entry a process looks up
// stays in the dentry cache until its parent reaps it, and reaping walks and invalidates them
// (release_task → proc_flush_pid). On our nested hosts, with parent and child on one CPU, that
// walk was the parent's longest step: `glassvm run` took 7.4 ms with its two /proc lookups
// (this one, and naming the vCPU thread from outside it) and 3.3 ms without (docs/BENCHMARKS.md).
// Throws Error when neither way names a file.
std::filesystem::path own_executable();

}  // namespace glassvm
