// run_process (glassvm's own run_program(), as the tests see it) and the small helpers around it.
#include "process.hpp"

#include "base/subprocess.hpp"
#include "vmm/kvm/kvm_accelerator.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#ifndef GLASSVM_BUILD_DIR
#error "GLASSVM_BUILD_DIR must point at the build tree"
#endif

namespace glassvm::test {

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
    ProgramResult sample = run_program(argv, timeout, input);
    return {.exit_status = sample.status,
            .out = std::move(sample.out),
            .err = std::move(sample.err),
            .elapsed = std::chrono::milliseconds(static_cast<int64_t>(sample.wall_ms)),
            .timed_out = sample.timed_out};
}

pid_t start_quietly(std::vector<std::string> argv) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        for (int fd : {0, 1, 2}) ::dup2(null, fd);
        std::vector<char*> args;
        for (std::string& argument : argv) args.push_back(argument.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

std::string build_path(const std::string& relative) { return std::string(GLASSVM_BUILD_DIR) + "/" + relative; }

void require_kvm() {
    int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    std::printf(
        "SKIPPED: /dev/kvm cannot be opened here (%m); this test boots VMs (./scripts/test runs it in the KVM lab, "
        "scripts/kvm-lab)\n");
    std::fflush(stdout);
    std::_Exit(77);
}

x86::CpuVendor kvm_vendor() { return x86::cpu_vendor(KvmAccelerator().supported_cpuid()); }

std::string value_of(const std::string& text, const std::string& key) {
    std::string needle = key + "=";
    size_t at = 0;
    while ((at = text.find(needle, at)) != std::string::npos) {
        if (at == 0 || text[at - 1] == '\n') {
            size_t end = text.find_first_of("\r\n", at);
            return text.substr(at + needle.size(),
                               end == std::string::npos ? std::string::npos : end - at - needle.size());
        }
        at += needle.size();
    }
    return {};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
}

}  // namespace glassvm::test
