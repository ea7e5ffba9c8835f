// Running a helper program from the multithreaded daemon and collecting its output: argv is
// prepared before fork and the child only makes async-signal-safe calls until exec; it gets
// an empty signal mask and none of the daemon's descriptors (its socket, clients'
// connections). The daemon runs `glassvm build` this way: a build runs boxes, which wait for
// SIGCHLD — something a process with a pool of HTTP threads cannot reliably do itself.
#pragma once

#include <string>
#include <vector>

namespace glassvm::daemon {

struct ProgramResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out, err;
};

ProgramResult run_program(const std::vector<std::string>& argv);

}  // namespace glassvm::daemon
