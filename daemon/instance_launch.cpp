// Building an instance's launch command line (see instance_launch.hpp).
#include "daemon/instance_launch.hpp"

#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "image/layer_path.hpp"

namespace glassvm::daemon {

namespace {

std::string layer_file(const LaunchContext& context, const std::string& path_in_image, const char* role) {
    auto found = image::find_in_layers(context.layer_directories, path_in_image);
    if (!found) throw_bad_input("the image has no {} at {}", role, path_in_image);
    return found->string();
}

std::vector<std::string> box_launch(const Instance& instance, const image::Image& image, const LaunchContext& context) {
    std::vector<std::string> argv = {context.glassvm_program.string(), "box", "run", "--rootfs",
                                     (context.instance_directory / "rootfs").string(), "--hostname",
                                     instance.name.empty() ? instance.id.substr(0, 12) : instance.name};
    if (image.config.working_dir != "/") argv.insert(argv.end(), {"--workdir", image.config.working_dir});
    if (instance.limits.memory_bytes != 0) argv.insert(argv.end(), {"--memory", std::to_string(instance.limits.memory_bytes)});
    if (instance.limits.pids != 0) argv.insert(argv.end(), {"--pids", std::to_string(instance.limits.pids)});
    if (instance.limits.cpus != 0) argv.insert(argv.end(), {"--cpus", fmt::format("{}", instance.limits.cpus)});
    for (const auto* list : {&image.config.env, &context.extra_env})
        for (const std::string& assignment : *list) argv.insert(argv.end(), {"-e", assignment});
    argv.push_back("--");
    argv.insert(argv.end(), instance.command.begin(), instance.command.end());
    return argv;
}

std::vector<std::string> vm_launch(const Instance& instance, const image::Image& image, const LaunchContext& context) {
    const image::VmSettings& vm = image.config.vm;
    std::vector<std::string> argv = {context.glassvm_program.string(), "run"};
    if (!vm.kernel_layer_path.empty()) argv.push_back(layer_file(context, vm.kernel_layer_path, "kernel"));
    auto arguments = instance.command.begin();
    std::string init = vm.init_path;
    if (init.empty()) {
        if (instance.command.empty()) throw_bad_input("a vm instance needs a command or an image with an INIT");
        init = *arguments++;
    }
    argv.insert(argv.end(), {"--init", layer_file(context, init, "init program")});
    std::string cmdline = vm.cmdline;
    if (arguments != instance.command.end()) {
        cmdline += cmdline.empty() ? "--" : " --";
        for (; arguments != instance.command.end(); ++arguments) cmdline += " " + *arguments;
    }
    if (!cmdline.empty()) argv.insert(argv.end(), {"--cmdline", cmdline});
    std::uint64_t memory = instance.limits.memory_bytes != 0 ? instance.limits.memory_bytes : vm.memory_bytes;
    if (memory != 0) argv.insert(argv.end(), {"--mem", std::to_string(memory)});
    unsigned cpus = instance.limits.cpus != 0 ? static_cast<unsigned>(std::ceil(instance.limits.cpus)) : vm.cpus;
    if (cpus > 1) argv.insert(argv.end(), {"--cpus", std::to_string(cpus)});
    return argv;
}

}  // namespace

void plan_launch(Instance& instance, const image::Image& image, const LaunchContext& context) {
    if (instance.command.empty()) instance.command = image.config.command;
    if (instance.kind == image::InstanceKind::Box) {
        if (instance.command.empty()) throw_bad_input("a box instance needs a command (the image has no CMD)");
        instance.launch = box_launch(instance, image, context);
        for (const auto& directory : context.layer_directories) instance.lower_layers.push_back(directory.string());
        if (instance.lower_layers.empty()) throw_bad_input("image {} has no layers to make a root filesystem of", image.id);
    } else {
        instance.launch = vm_launch(instance, image, context);
    }
}

}  // namespace glassvm::daemon
