// The box's PID 1. In a PID namespace the first process has two jobs no ordinary program
// expects: it adopts every orphan (and must reap them, or they stay zombies), and the kernel
// delivers it only the signals it asked for (a workload that never installed a SIGTERM handler
// would ignore `kill`). So glassvm's own small init is PID 1, like `docker run --init`: it
// starts the workload as PID 2, reaps everything, forwards SIGHUP/INT/QUIT/TERM/USR1/USR2/WINCH
// to the workload, and exits with the workload's status when the workload exits (the kernel
// then kills whatever else is left in the box).
#pragma once

#include <sys/types.h>

#include "base/fd.hpp"

namespace glassvm::container {

// Runs as PID 1 until `workload` ends, then exits: status S if it exited with S, 128 + N if
// signal N killed it. The raw wait status is also written to `status_pipe` (so glassvm can
// tell "exit 137" from "killed by SIGKILL"). Expects the supervised signals to be blocked.
[[noreturn]] void run_init(pid_t workload, Fd status_pipe);

// Exit status a shell would give for a wait status: S, or 128 + signal.
int shell_status(int wait_status);

}  // namespace glassvm::container
