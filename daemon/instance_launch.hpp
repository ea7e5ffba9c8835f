// What an instance runs, decided once when it is created: the image's configuration and the
// request's overrides → the glassvm command line the shim executes.
//   box: glassvm box run --rootfs <instance>/rootfs --hostname NAME [limits] [--env-file <instance>/env] -- CMD…
//   vm:  glassvm run [KERNEL] --init INIT --cmdline "CMDLINE -- ARGS" [--mem] [--cpus] [--accel]
// A box's env (the image's, then the request's) is in the instance's env file, mode 0600, and
// never on the command line: every user can read any process's command line (ps).
// A VM's kernel and init are files of the image found in its layers (image/layer_path.hpp);
// without a KERNEL the bundled guest boots; without an INIT the command's first word is the init.
// The limits are checked here as the program that applies them checks them, so that create
// refuses (400, naming the field) what start would have failed on.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/instance.hpp"
#include "image/image.hpp"

namespace glassvm::daemon {

constexpr const char* kEnvFileName = "env";  // in the instance directory

struct LaunchContext {
    std::filesystem::path glassvm_program;  // the glassvm executable
    std::filesystem::path instance_directory;
    std::vector<std::filesystem::path> layer_directories;  // the image's, bottom first
    std::vector<std::string> extra_env;                    // the request's "KEY=value"s
};

// Throws a BadInput Error naming `field` unless `assignment` is KEY=VALUE that an env file can
// hold (no line break, no NUL).
void check_env_entry(const std::string& assignment, std::string_view field);

// Fills instance.launch and instance.lower_layers from instance.kind, .command and .limits, and
// returns what the instance's env file (kEnvFileName) must hold: "" when it needs none.
std::string plan_launch(Instance& instance, const image::Image& image, const LaunchContext& context);

}  // namespace glassvm::daemon
