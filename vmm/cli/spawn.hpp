// Running a helper program to completion and collecting what it printed, how long it took and
// its peak memory: how `glassvm compare` runs each peer (and gnuplot).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace glassvm {

struct Sample {
    int status = -1;           // exit status, or 128 + signal
    double wall_ms = 0;        // fork → wait4 returned
    long peak_rss_kib = 0;     // wait4's ru_maxrss: the largest single process of the tree
    std::string out, err;
    bool timed_out = false;    // killed at the deadline
};

// Runs `argv` (PATH searched) with `input` on its stdin (then end of file); kills it after
// `timeout`.
Sample spawn(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, const std::string& input = {});

// True when `program` is an executable file in a PATH directory.
bool installed(const std::string& program);

}  // namespace glassvm
