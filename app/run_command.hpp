// `glassvm run`: boot a kernel (the bundled guest by default) with an init program.
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "app/sandbox_options.hpp"
#include "app/watch_options.hpp"
#include "vmm/run/machine.hpp"

namespace glassvm {

struct RunOptions {
    std::string boot = "direct";  // --boot direct|pvh|firmware|linux
    std::string kernel;           // empty: the bundled guest
    std::string initrd;           // --initrd (Linux): empty for none
    std::string firmware;         // --firmware (with --boot firmware): empty for the bundled ROM
    std::string cpuid;            // --cpuid: CPUID bits to hide, e.g. "-cx16,-xsave"
    std::string accel;            // --accel auto|kvm|soft; empty: $GLASSVM_ACCEL, else auto
    std::string memory = "64M";
    int cpus = 1;
    std::string command_line;
    std::string init;
    std::string image;           // --image NAME: a vm image's kernel, init and boot settings (app/image_command.cpp)
    std::string store;           // --store DIR: the image store (with --image)
    double timeout_seconds = 0;  // 0: none
    bool verbose = false;
    bool plain = false;         // --plain: every fast path off (vmm/run/fast_paths.hpp)
    WatchOptions watch;         // --trace-exits, --exit-stats, --step-exits, --gdb
    SandboxCliOptions sandbox;  // --no-sandbox, --uid, --gid
};

// Registers the `run` subcommand and its options, writing into `options` when parsed.
CLI::App* add_run_command(CLI::App& app, RunOptions& options);

// Adds `--accel auto|kvm|soft` to `command` (run, compare), writing into `accel`; checked when
// the choice is resolved (resolve_accelerator_choice), so a bogus value is one line and status 2.
void add_accel_option(CLI::App& command, std::string& accel);

// Turns parsed options into a machine configuration; `bundled_guest` is used when no kernel is
// named. Throws BadInput for unusable values.
MachineConfig to_machine_config(const RunOptions& options, const std::filesystem::path& bundled_guest);

// Where the bundled guest kernel is, relative to the running glassvm binary.
std::filesystem::path find_bundled_guest();

// Where the bundled boot ROM (build/firmware/glassvm-firmware.bin) is, likewise.
std::filesystem::path find_bundled_firmware();

// Builds and runs the machine, prints how it ended, and returns glassvm's exit status.
int execute_run(const RunOptions& options);

}  // namespace glassvm
