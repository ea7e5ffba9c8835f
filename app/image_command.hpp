// The image commands that work without a daemon: `glassvm images`, `glassvm build DIR -t NAME`,
// `glassvm image import|rm|inspect|path`, `glassvm box run --image NAME` (an overlay instance
// whose upper directory is removed afterwards) and `glassvm run --image NAME` (a vm image). The store is --store DIR, else
// image/image_store.hpp's default.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "app/box_command.hpp"
#include "app/run_command.hpp"

namespace glassvm {

struct ImageOptions {
    std::string store;          // --store DIR
    bool json = false;          // --json
    std::string name;           // -t NAME
    std::string directory;      // build DIR
    std::string layer_limit;    // build --layer-limit SIZE (default: image::kDefaultLayerSizeLimit)
    std::string tar;            // image import TAR
    std::string image;          // image rm|inspect|path NAME
    std::string path_in_image;  // image path NAME PATH
    CLI::App* images = nullptr;
    CLI::App* build = nullptr;
    CLI::App* image_group = nullptr;
    CLI::App* import = nullptr;
    CLI::App* remove = nullptr;
    CLI::App* inspect = nullptr;
    CLI::App* path = nullptr;
};

// Registers `images`, `build` and `image …`, writing into `options` when parsed.
void add_image_commands(CLI::App& app, ImageOptions& options);

// Whether one of them was given on the command line.
bool image_command_chosen(const ImageOptions& options);

// Runs the chosen one; returns glassvm's exit status.
int execute_image_command(const ImageOptions& options);

// `glassvm box run --image NAME`: the image's layers under a temporary upper directory.
int execute_image_box(const BoxOptions& options);

// `glassvm run --image NAME`: the options with the vm image's kernel and init (their host files
// in the layers), command line, memory and vCPUs filled in where the options leave them unset
// (for --mem and --cpus: at their defaults). BadInput for a box image.
RunOptions with_vm_image(const RunOptions& options);

}  // namespace glassvm
