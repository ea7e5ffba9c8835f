// Processes: running a helper program to completion and collecting what it printed, its status,
// how long it took and its peak memory (`glassvm compare` runs each peer so, the daemon runs
// `glassvm build` so, the tests run glassvm so); finding programs on PATH; and the path of the
// running program's own file.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glassvm {

struct ProgramResult {
    int status = -1;        // exit status, or 128 + signal
    double wall_ms = 0;     // fork → wait4 returned
    long peak_rss_kib = 0;  // wait4's ru_maxrss: the largest single process of the tree
    std::string out, err;
    bool timed_out = false;  // killed at the deadline
};

// Runs `argv` (argv[0] looked up on PATH when it has no slash) to completion, with `input` on its
// stdin (then end of file), killing it (SIGKILL) after `timeout` unless that is zero. Safe to call
// from a multithreaded program: argv and the program's path are prepared before fork, and the
// child makes only async-signal-safe calls until exec; it gets an empty signal mask and no
// descriptor but its stdin, stdout and stderr. A program that cannot be started exits 127.
ProgramResult run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = {},
                          const std::string& input = {});

// The executable file `program` names: itself when it has a slash, else the first match in a
// PATH directory; nothing when there is none.
std::optional<std::filesystem::path> find_program(const std::string& program);

// True when `program` is an executable file in a PATH directory.
inline bool installed(const std::string& program) { return find_program(program).has_value(); }

// Where the running program's file is, for the files shipped next to it (the bundled guest and
// firmware, glassvmd, the probe): the canonical path of this process's executable, from the path
// execve was given (the AT_EXECFN auxiliary vector entry) resolved with realpath(3), relative to
// the directory the process started in, which no glassvm process leaves (only container children
// change theirs, after clone); /proc/self/exe when that cannot be resolved (an executable deleted
// or run through a closed descriptor). Why not /proc/self/exe first: every /proc/PID entry a
// process looks up stays in the dentry cache until its parent reaps it, and reaping walks and
// invalidates them (release_task → proc_flush_pid). On nested hosts, with parent and child on one
// CPU, that walk was the parent's longest step: `glassvm run` took 7.4 ms with its two /proc
// lookups and 3.3 ms without (docs/BENCHMARKS.md). Throws Error when neither way names a file.
std::filesystem::path own_executable();

}  // namespace glassvm
