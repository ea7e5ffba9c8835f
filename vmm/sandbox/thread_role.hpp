// The kinds of thread `glassvm run` has once the VM runs; each gets its own seccomp allowlist
// (seccomp_policy.hpp), and the forbidden-call report names the thread by its role.
#pragma once

#include <string_view>

namespace glassvm::sandbox {

enum class ThreadRole {
    Main,          // waits for the end, watches for halts and the timeout, reports, tears down
    Vcpu,          // a vCPU's exit loop (plain, or watched by --trace-exits / --exit-stats)
    DebuggedVcpu,  // a vCPU's exit loop that a debugger serves from: --step-exits, --gdb
    StdinPump,     // host input → the UART (vmm/devices/stdin_pump.cpp)
};

constexpr std::string_view role_name(ThreadRole role) {
    switch (role) {
        case ThreadRole::Main:
            return "main";
        case ThreadRole::Vcpu:
            return "vcpu";
        case ThreadRole::DebuggedVcpu:
            return "debugged vcpu";
        case ThreadRole::StdinPump:
            return "stdin pump";
    }
    return "unknown";
}

}  // namespace glassvm::sandbox
