// glassvmd: the daemon. An HTTP/1.1 server (cpp-httplib) on a UNIX socket, JSON in and out,
// over an image store and the instances it runs through shims. docs/API.md lists every route.
#pragma once

#include <filesystem>

namespace glassvm::daemon {

struct DaemonOptions {
    std::filesystem::path socket;
    std::filesystem::path root;
    std::filesystem::path glassvm_program;  // runs instances
    std::filesystem::path shim_program;     // this program, run as `… shim`
};

// Serves until SIGTERM or SIGINT; returns the exit status.
int run_daemon(const DaemonOptions& options);

}  // namespace glassvm::daemon
