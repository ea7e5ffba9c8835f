// The CLI's daemon verbs: glassvm ps, create, start, stop, rm, logs, wait, inspect, images,
// import, build, rmi, info — each one request to glassvmd (`--json` prints the answer as is).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace glassvm::daemon {

struct ClientOptions {
    std::string socket;  // --socket; empty: default_socket_path()
    bool json = false;   // --json
    int status = 0;      // the verb's exit status (wait: the instance's)
};

// Adds every verb to `app`; a verb runs (as a CLI11 callback) when parsed.
void add_client_commands(CLI::App& app, ClientOptions& options);

}  // namespace glassvm::daemon
