// Building an instance's launch command line (see instance_launch.hpp).
#include "daemon/instance_launch.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "base/error.hpp"
#include "container/box_limits.hpp"
#include "image/layer_path.hpp"
#include "vmm/run/machine.hpp"

namespace glassvm::daemon {

namespace {

std::string layer_file(const LaunchContext& context, const std::string& path_in_image, const char* role) {
    auto found = image::find_in_layers(context.layer_directories, path_in_image);
    if (!found) throw_bad_input("the image has no {} at {}", role, path_in_image);
    return found->string();
}

// Runs `check`, a validation written for glassvm's own options; its BadInput error ("--mem: …")
// is thrown again naming the API's field instead ("limits.memory: …").
template <typename Check>
void as_field(std::string_view field, Check check) {
    try {
        check();
    } catch (const Error& error) {
        if (error.kind() != ErrorKind::BadInput) throw;
        std::string message = error.what();
        if (message.starts_with("--")) message.erase(0, message.find(": ") + 2);
        throw_bad_input("{}: {}", field, message);
    }
}

// The env file's lines: the image's env, then the request's (a later KEY wins in the box).
std::string env_file(const image::Image& image, const LaunchContext& context) {
    std::string text;
    for (const std::string& assignment : image.config.env) {
        check_env_entry(assignment, "the image's env");
        text += assignment + "\n";
    }
    for (const std::string& assignment : context.extra_env) {
        check_env_entry(assignment, "env");
        text += assignment + "\n";
    }
    return text;
}

std::vector<std::string> box_launch(const Instance& instance, const image::Image& image, const LaunchContext& context,
                                    bool with_env_file) {
    const InstanceLimits& limits = instance.limits;
    if (limits.memory_bytes != 0)
        checked_box_memory(limits.memory_bytes, std::to_string(limits.memory_bytes), "limits.memory");
    if (limits.cpus != 0) box_cpu_quota(limits.cpus, "limits.cpus");
    std::vector<std::string> argv = {context.glassvm_program.string(),
                                     "box",
                                     "run",
                                     "--rootfs",
                                     (context.instance_directory / "rootfs").string(),
                                     "--hostname",
                                     instance.name.empty() ? instance.id.substr(0, 12) : instance.name};
    if (image.config.working_dir != "/") argv.insert(argv.end(), {"--workdir", image.config.working_dir});
    if (instance.limits.memory_bytes != 0)
        argv.insert(argv.end(), {"--memory", std::to_string(instance.limits.memory_bytes)});
    if (instance.limits.pids != 0) argv.insert(argv.end(), {"--pids", std::to_string(instance.limits.pids)});
    if (instance.limits.cpus != 0) argv.insert(argv.end(), {"--cpus", fmt::format("{}", instance.limits.cpus)});
    if (with_env_file) argv.insert(argv.end(), {"--env-file", (context.instance_directory / kEnvFileName).string()});
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
    // A fraction of a CPU is a whole vCPU; a count no int holds is refused below as too many.
    double wanted_cpus = instance.limits.cpus != 0 ? std::ceil(instance.limits.cpus) : vm.cpus;
    int cpus =
        wanted_cpus < std::numeric_limits<int>::max() ? static_cast<int>(wanted_cpus) : std::numeric_limits<int>::max();
    MachineConfig machine;  // glassvm run's defaults, and what it checks
    if (memory != 0) machine.memory_bytes = memory;
    machine.cpus = cpus;
    as_field(instance.limits.memory_bytes != 0 ? "limits.memory" : "the image's vm.memory", [&] {
        MachineConfig memory_only;
        memory_only.memory_bytes = machine.memory_bytes;
        validate_config(memory_only);
    });
    as_field(instance.limits.cpus != 0 ? "limits.cpus" : "the image's vm.cpus", [&] { validate_config(machine); });
    if (memory != 0) argv.insert(argv.end(), {"--mem", std::to_string(memory)});
    if (cpus > 1) argv.insert(argv.end(), {"--cpus", std::to_string(cpus)});
    if (instance.accel) argv.insert(argv.end(), {"--accel", std::string(to_string(*instance.accel))});
    return argv;
}

}  // namespace

void check_env_entry(const std::string& assignment, std::string_view field) {
    check_env_assignment(assignment, field);
    if (assignment.find_first_of(std::string_view("\n\0", 2)) != std::string::npos)
        throw_bad_input("{}: '{}' holds a line break or a NUL, which an environment cannot pass", field,
                        assignment.substr(0, assignment.find('=')));
}

std::string plan_launch(Instance& instance, const image::Image& image, const LaunchContext& context) {
    if (instance.command.empty()) instance.command = image.config.command;
    if (instance.kind != image::InstanceKind::Box) {
        instance.launch = vm_launch(instance, image, context);  // a VM gets no environment
        return "";
    }
    if (instance.accel)
        throw_bad_input("accel: a box runs on the host's kernel, not on an accelerator (accel is for a vm instance)");
    if (instance.command.empty()) throw_bad_input("a box instance needs a command (the image has no CMD)");
    std::string env = env_file(image, context);
    instance.launch = box_launch(instance, image, context, !env.empty());
    for (const auto& directory : context.layer_directories) instance.lower_layers.push_back(directory.string());
    if (instance.lower_layers.empty()) throw_bad_input("image {} has no layers to make a root filesystem of", image.id);
    return env;
}

}  // namespace glassvm::daemon
