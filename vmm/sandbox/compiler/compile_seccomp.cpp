// glassvm-compile-seccomp: a build-time program. It turns each thread role's allowlist
// (seccomp_policy.cpp) into a BPF program with libseccomp and writes them, with the x86-64 system
// call names the forbidden-call report prints, as C++ arrays (the file named by its argument).
// glassvm includes that file (precompiled_filters.cpp) and loads the programs as they are, so a
// start of glassvm spends no time in libseccomp — Firecracker's seccompiler does the same.
// The one value not known at build time, glassvm's process id (tgkill may signal only this
// process), is compiled as kProcessIdPlaceholder, and each program says how often it occurs.
#include <seccomp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/sandbox/seccomp_policy.hpp"

namespace {

using namespace glassvm::sandbox;

std::string program_text(std::string_view name, ThreadRole role) {
    std::vector<sock_filter> program = compile_allowlist(role, kProcessIdPlaceholder);
    size_t placeholders = 0;
    std::string text = fmt::format("inline constexpr sock_filter k{}[] = {{\n", name);
    for (const sock_filter& instruction : program) {
        text += fmt::format("    {{0x{:02x}, {}, {}, 0x{:x}}},\n", instruction.code, instruction.jt, instruction.jf,
                            instruction.k);
        placeholders += compares_with_placeholder(instruction);
    }
    text += fmt::format("}};\ninline constexpr size_t k{}Placeholders = {};\n\n", name, placeholders);
    return text;
}

// x86-64's table has ~460 numbers; the report prints anything at or above this by number alone.
constexpr int kNamedSyscalls = 600;

std::string names_text() {
    std::string text = "inline constexpr const char* kSyscallNames[] = {\n";
    for (int number = 0; number < kNamedSyscalls; ++number) {
        char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, number);
        text += name ? fmt::format("    \"{}\",\n", name) : std::string("    nullptr,\n");
        std::free(name);
    }
    return text + "};\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: glassvm-compile-seccomp OUTPUT\n");
        return 2;
    }
    try {
        std::string text =
            "// Generated at build time by glassvm-compile-seccomp (vmm/sandbox/compiler/) from the allowlists in\n"
            "// vmm/sandbox/seccomp_policy.cpp, with libseccomp " +
            fmt::format("{}.{}.{}", SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO) +
            ". Do not edit.\n"
            "namespace glassvm::sandbox::generated {\n\n";
        text += program_text("Main", ThreadRole::Main);
        text += program_text("Vcpu", ThreadRole::Vcpu);
        text += program_text("DebuggedVcpu", ThreadRole::DebuggedVcpu);
        text += program_text("StdinPump", ThreadRole::StdinPump);
        text += names_text();
        text += "\n}  // namespace glassvm::sandbox::generated\n";
        glassvm::write_file_atomically(argv[1], text);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "glassvm-compile-seccomp: %s\n", error.what());
        return 1;
    }
    return 0;
}
