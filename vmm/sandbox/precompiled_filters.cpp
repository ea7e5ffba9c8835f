// Loading the build-time BPF programs (precompiled_filters.hpp): patch in the process id, seccomp(2).
#include "vmm/sandbox/precompiled_filters.hpp"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

#include "base/error.hpp"
#include "vmm/sandbox/seccomp_policy.hpp"
#include "vmm/sandbox/seccomp_programs.inc"  // generated in the build tree

namespace glassvm::sandbox {

PrecompiledProgram precompiled_program(ThreadRole role) {
    switch (role) {
        case ThreadRole::Main:
            return {generated::kMain, generated::kMainPlaceholders};
        case ThreadRole::Vcpu:
            return {generated::kVcpu, generated::kVcpuPlaceholders};
        case ThreadRole::DebuggedVcpu:
            return {generated::kDebuggedVcpu, generated::kDebuggedVcpuPlaceholders};
        case ThreadRole::StdinPump:
            return {generated::kStdinPump, generated::kStdinPumpPlaceholders};
    }
    throw Error(ErrorKind::Internal, "seccomp: no program for this thread role");
}

std::vector<sock_filter> program_for_process(ThreadRole role, int process_id) {
    PrecompiledProgram compiled = precompiled_program(role);
    std::vector<sock_filter> program(compiled.instructions.begin(), compiled.instructions.end());
    size_t patched = 0;
    for (sock_filter& instruction : program) {
        if (compares_with_placeholder(instruction)) {
            instruction.k = uint32_t(process_id);
            ++patched;
        }
    }
    if (patched != compiled.placeholders)
        throw Error(ErrorKind::Internal, fmt::format("seccomp: {} of {} process-id comparisons found in the {} program",
                                                     patched, compiled.placeholders, role_name(role)));
    return program;
}

void install_allowlist(ThreadRole role, int process_id) {
    std::vector<sock_filter> program = program_for_process(role, process_id);
    sock_fprog header{.len = static_cast<unsigned short>(program.size()), .filter = program.data()};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &header) != 0)
        throw Error::from_errno(fmt::format("seccomp: load the {} allowlist", role_name(role)), errno);
}

const char* syscall_name(unsigned long number) {
    return number < std::size(generated::kSyscallNames) ? generated::kSyscallNames[number] : nullptr;
}

}  // namespace glassvm::sandbox
