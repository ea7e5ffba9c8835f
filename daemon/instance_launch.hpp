// What an instance runs, decided once when it is created: the image's configuration and the
// request's overrides → the glassvm command line the shim executes.
//   box: glassvm box run --rootfs <instance>/rootfs --hostname NAME [limits] [-e K=V]… -- CMD…
//   vm:  glassvm run [KERNEL] --init INIT --cmdline "CMDLINE -- ARGS" [--mem] [--cpus]
// A VM's kernel and init are files of the image found in its layers (image/layer_path.hpp);
// without a KERNEL the bundled guest boots; without an INIT the command's first word is the init.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/instance.hpp"
#include "image/image.hpp"

namespace glassvm::daemon {

struct LaunchContext {
    std::filesystem::path glassvm_program;             // the glassvm executable
    std::filesystem::path instance_directory;
    std::vector<std::filesystem::path> layer_directories;  // the image's, bottom first
    std::vector<std::string> extra_env;                // the request's "KEY=value"s
};

// Fills instance.launch and instance.lower_layers from instance.kind, .command and .limits.
void plan_launch(Instance& instance, const image::Image& image, const LaunchContext& context);

}  // namespace glassvm::daemon
