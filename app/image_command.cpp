// `glassvm images`, `build`, `image import|rm|inspect|path` and `box run --image` (image_command.hpp).
#include "app/image_command.hpp"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/size.hpp"
#include "container/box.hpp"
#include "container/namespaces.hpp"
#include "container/sealed_executable.hpp"
#include "image/build.hpp"
#include "image/image_store.hpp"
#include "image/layer_path.hpp"
#include "image/overlay.hpp"

namespace glassvm {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void add_store_option(CLI::App* command, ImageOptions& options) {
    command->add_option("--store", options.store,
                        "The image store's directory (default: $GLASSVM_STORE, /var/lib/glassvm as root)");
}

std::string short_id(const std::string& id) { return id.substr(7, 12); }

int list_images(const ImageOptions& options) {
    image::ImageStore store(image::store_root(options.store));
    std::vector<image::Image> images = store.list();
    if (options.json) {
        json list = json::array();
        for (const image::Image& image : images) list.push_back(image::to_json(image));
        fmt::print("{}\n", list.dump(2));
        return 0;
    }
    fmt::print("{:<32} {:<14} {:<4} {:>6}  {}\n", "NAME", "ID", "KIND", "LAYERS", "CREATED");
    for (const image::Image& image : images)
        fmt::print("{:<32} {:<14} {:<4} {:>6}  {}\n", image.name.empty() ? "<none>" : image.name, short_id(image.id),
                   image::kind_name(image.config.kind), image.layers.size(), image.created);
    return 0;
}

int build(const ImageOptions& options) {
    container::reexec_from_sealed_copy();  // RUN steps are boxes (container/sealed_executable.hpp)
    // Each step's overlay too is mounted in a mount namespace of glassvm's own: a build killed
    // with SIGKILL leaves none in the host's mount table.
    container::enter_private_mount_namespace();
    image::ImageStore store(image::store_root(options.store));
    std::ostream& progress = options.json ? std::cerr : std::cout;
    std::uint64_t layer_limit = options.build->count("--layer-limit") > 0
                                    ? parse_size(options.layer_limit, "--layer-limit")
                                    : image::kDefaultLayerSizeLimit;
    image::BuildResult result = image::build_image(store, options.directory, options.name, progress, layer_limit);
    if (!options.json) {
        fmt::print("built {} ({})\n", result.image.name.empty() ? "<none>" : result.image.name, result.image.id);
        return 0;
    }
    json steps = json::array();
    for (const image::BuildStep& step : result.steps)
        steps.push_back({{"instruction", step.instruction},
                         {"cache_key", step.cache_key},
                         {"layer", step.layer},
                         {"cached", step.cached}});
    fmt::print("{}\n", json{{"image", image::to_json(result.image)}, {"steps", steps}}.dump(2));
    return 0;
}

int import_tar(const ImageOptions& options) {
    image::ImageStore store(image::store_root(options.store));
    image::Image image = store.import_rootfs_tar(options.name, options.tar, image::ImageConfig{});
    fmt::print("{}\n", options.json ? image::to_json(image).dump(2) : image.id);
    return 0;
}

int inspect(const ImageOptions& options) {
    image::ImageStore store(image::store_root(options.store));
    fmt::print("{}\n", image::to_json(store.get(options.image)).dump(2));
    return 0;
}

std::string host_file(const image::ImageStore& store, const image::Image& image, const std::string& path) {
    std::optional<fs::path> found = image::find_in_layers(store.layer_directories(image), path);
    if (!found) throw_bad_input("image {} has no {}", image.name.empty() ? image.id : image.name, path);
    return found->string();
}

int find_path(const ImageOptions& options) {
    image::ImageStore store(image::store_root(options.store));
    fmt::print("{}\n", host_file(store, store.get(options.image), options.path_in_image));
    return 0;
}

}  // namespace

void add_image_commands(CLI::App& app, ImageOptions& options) {
    options.images = app.add_subcommand("images", "List the images in the store");
    options.images->add_flag("--json", options.json, "Print the images as JSON");
    add_store_option(options.images, options);

    options.build = app.add_subcommand("build", "Build DIR/Glassfile into an image (docs/IMAGES.md)");
    options.build->add_option("directory", options.directory, "The build directory (holds the Glassfile)")->required();
    options.build->add_option("-t,--tag", options.name, "The image's name (NAME or NAME:TAG)");
    options.build->add_flag("--json", options.json, "Print the image and each step's layer as JSON");
    options.build->add_option(
        "--layer-limit", options.layer_limit,
        "The largest layer tar a step may make, e.g. 2G (default 8G); a step over it ends the build");
    add_store_option(options.build, options);

    options.image_group = app.add_subcommand("image", "Import, remove, inspect images, find files in them");
    options.image_group->require_subcommand(1);
    options.import = options.image_group->add_subcommand("import", "Store a root filesystem tar as a one-layer image");
    options.import->add_option("tar", options.tar, "The tar (uncompressed; OCI whiteouts allowed)")->required();
    options.import->add_option("-t,--tag", options.name, "The image's name");
    options.import->add_flag("--json", options.json, "Print the image as JSON");
    options.remove = options.image_group->add_subcommand("rm", "Remove an image and the layers no other image uses");
    options.inspect = options.image_group->add_subcommand("inspect", "Print an image as JSON");
    options.path = options.image_group->add_subcommand("path", "Print the host path of a file in an image's layers");
    for (CLI::App* command : {options.remove, options.inspect, options.path})
        command->add_option("image", options.image, "The image's name or id")->required();
    options.path->add_option("path", options.path_in_image, "An absolute path inside the image")->required();
    for (CLI::App* command : {options.import, options.remove, options.inspect, options.path})
        add_store_option(command, options);
}

bool image_command_chosen(const ImageOptions& options) {
    return options.images->parsed() || options.build->parsed() || options.image_group->parsed();
}

int execute_image_command(const ImageOptions& options) {
    if (options.images->parsed()) return list_images(options);
    if (options.build->parsed()) return build(options);
    if (options.import->parsed()) return import_tar(options);
    if (options.remove->parsed()) {
        image::ImageStore(image::store_root(options.store)).remove(options.image);
        return 0;
    }
    if (options.inspect->parsed()) return inspect(options);
    return find_path(options);
}

int execute_image_box(const BoxOptions& options) {
    image::ImageStore store(image::store_root(options.store));
    image::Image image = store.get(options.image);
    if (image.config.kind != image::InstanceKind::Box)
        throw_bad_input(
            "image {} is a vm image: boot it with glassvm run --kernel/--init (glassvm image path finds them)",
            options.image);
    std::vector<fs::path> lowers = store.layer_directories(image);
    // The overlay lives in a mount namespace of glassvm's own, which the box inherits: the host
    // never sees it, and it goes when glassvm and the box do, also after SIGKILL.
    container::enter_private_mount_namespace();
    image::TemporaryDirectory instance(store.root() / "tmp", "instance");
    if (lowers.empty()) {
        fs::create_directory(instance.path() / "empty");
        lowers.push_back(instance.path() / "empty");
    }
    image::OverlayMount root(lowers, instance.path() / "upper", instance.path() / "work", instance.path() / "merged");
    BoxOptions with_image = options;
    with_image.image.clear();
    with_image.rootfs = root.merged().string();
    if (with_image.command.empty()) with_image.command = image.config.command;
    with_image.env = image.config.env;
    with_image.env.insert(with_image.env.end(), options.env.begin(), options.env.end());
    container::ContainerConfig config = to_container_config(with_image);
    if (options.workdir.empty()) config.cwd = image.config.working_dir;
    container::BoxOutcome outcome = container::run_box(config);
    std::string ending = container::describe_ending(outcome, config);
    if (!ending.empty()) fmt::print(stderr, "glassvm: box: {}\n", ending);
    return outcome.exit_status;
}

RunOptions with_vm_image(const RunOptions& options) {
    image::ImageStore store(image::store_root(options.store));
    image::Image image = store.get(options.image);
    if (image.config.kind != image::InstanceKind::Vm)
        throw_bad_input("image {} is a box image: run it with glassvm box run --image", options.image);
    const image::VmSettings& vm = image.config.vm;
    RunOptions resolved = options;
    if (resolved.kernel.empty()) resolved.kernel = host_file(store, image, vm.kernel_layer_path);
    if (resolved.init.empty() && !vm.init_path.empty()) resolved.init = host_file(store, image, vm.init_path);
    if (resolved.command_line.empty()) resolved.command_line = vm.cmdline;
    if (resolved.memory == RunOptions{}.memory && vm.memory_bytes != 0)
        resolved.memory = std::to_string(vm.memory_bytes);
    if (resolved.cpus == RunOptions{}.cpus) resolved.cpus = static_cast<int>(vm.cpus);
    return resolved;
}

}  // namespace glassvm
