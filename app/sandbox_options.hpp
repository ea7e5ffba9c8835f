// The sandbox options of `glassvm run` (--no-sandbox, --uid, --gid, and a hidden test trigger)
// and their translation into sandbox::SandboxOptions.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "vmm/sandbox/sandbox.hpp"

namespace glassvm {

struct SandboxCliOptions {
    bool no_sandbox = false;
    std::string uid;  // empty: stay who we are
    std::string gid;
    std::string forbidden_call;  // hidden, for tests: "main" or "vcpu"
};

void add_sandbox_options(CLI::App& run, SandboxCliOptions& options);

// Checks and resolves the options (names → ids, root only for --uid/--gid); throws BadInput.
sandbox::SandboxOptions to_sandbox_options(const SandboxCliOptions& options, bool verbose);

}  // namespace glassvm
