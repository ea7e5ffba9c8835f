// `glassvm box run`: run a command in a container built by glassvm's own small runtime
// (container/): namespaces, a pivot_root'ed rootfs, cgroup limits, dropped capabilities,
// seccomp, and an init as PID 1.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "container/container_config.hpp"

namespace glassvm {

struct BoxOptions {
    std::string rootfs;
    std::string bundle;
    std::string image;  // --image NAME: an instance of a stored image (app/image_command.cpp)
    std::string store;  // --store DIR: the image store (with --image)
    std::string hostname;
    std::string workdir;                // --workdir DIR: the workload's working directory inside the box
    std::optional<std::string> memory;  // a size: 64M (given but empty is an error, not "no limit")
    std::optional<int64_t> pids;
    std::optional<double> cpus;
    bool user_namespace = false;
    std::vector<std::string> env;
    std::vector<std::string> env_files;  // --env-file FILE: KEY=VALUE lines
    std::vector<std::string> command;
};

// Registers `box` and its `run` subcommand, writing into `options` when parsed.
CLI::App* add_box_command(CLI::App& app, BoxOptions& options);

// The box the options describe: the bundle's config.json (oci_bundle.cpp) or glassvm's
// defaults with --rootfs, then the options on top. Throws BadInput for unusable values.
container::ContainerConfig to_container_config(const BoxOptions& options);

// Runs the box and returns glassvm's exit status (the workload's).
int execute_box(const BoxOptions& options);

}  // namespace glassvm
