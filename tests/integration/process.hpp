// Running a program the way a user would (glassvm, the probe, QEMU) and capturing what it
// printed and how it ended: the integration tests' one tool.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "vmm/x86/cpuid.hpp"

namespace glassvm::test {

struct ProcessResult {
    int exit_status = -1;  // the status passed to exit(), or 128 + signal
    std::string out;       // everything written to stdout
    std::string err;       // everything written to stderr
    std::chrono::milliseconds elapsed{0};
    bool timed_out = false;  // killed after the deadline
};

// Runs `argv` with stdin from `input` (closed afterwards), waits at most `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Starts `argv` with stdin, stdout and stderr on /dev/null and returns its pid without waiting
// (for tests that signal or watch the process while it runs); reap it with waitpid.
pid_t start_quietly(std::vector<std::string> argv);

// Paths inside the build tree.
std::string build_path(const std::string& relative);

// Ends the current test as "skipped" (ctest SKIP_RETURN_CODE 77) when /dev/kvm cannot be
// opened, printing why. The only reason an integration test may skip.
void require_kvm();

// Whose CPU KVM runs guests on here: the two back ends (kvm-intel, kvm-amd) differ in places
// glassvm reports, such as the registers after a triple fault. Needs /dev/kvm.
x86::CpuVendor kvm_vendor();

// The text after "KEY=" on its own line in `text`, or "" when absent.
std::string value_of(const std::string& text, const std::string& key);

// `text` split at newlines (without them).
std::vector<std::string> lines_of(const std::string& text);

}  // namespace glassvm::test
