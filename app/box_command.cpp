// `glassvm box run`: options → ContainerConfig → container::run_box → exit status.
#include "app/box_command.hpp"

#include <sched.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

#include "app/image_command.hpp"
#include "base/error.hpp"
#include "base/size.hpp"
#include "container/box.hpp"
#include "container/box_limits.hpp"
#include "container/oci_bundle.hpp"
#include "container/sealed_executable.hpp"

namespace glassvm {

namespace {

// --pids' check, on the text, so that "0", "-1" and "many" get one clear line.
CLI::Validator process_count_validator() {
    return CLI::Validator(
        [](std::string& text) { return parse_box_pids(text) ? std::string() : not_a_process_count(text); }, "N");
}

// --env-file: KEY=VALUE lines, as `docker run --env-file` reads them (no quoting; empty lines
// and lines starting with # skipped). glassvmd passes an instance's env this way, so that the
// values are in no command line (ps shows those to every user).
void set_env_from_file(std::vector<std::string>& env, const std::string& path) {
    std::ifstream file(path);
    if (!file) throw_bad_input("--env-file: cannot read {}", path);
    std::string line;
    for (int number = 1; std::getline(file, line); ++number)
        if (!line.empty() && !line.starts_with('#')) set_env(env, line, fmt::format("--env-file {}:{}", path, number));
}

}  // namespace

CLI::App* add_box_command(CLI::App& app, BoxOptions& options) {
    CLI::App* box = app.add_subcommand("box", "Run a command in a container (namespaces + cgroups, the host's kernel)");
    box->require_subcommand(1);
    CLI::App* run = box->add_subcommand("run", "Run CMD in a new box and wait for it; exits with its status");
    auto* rootfs =
        run->add_option("--rootfs", options.rootfs, "Directory to use as the box's / (see scripts/make-rootfs)");
    auto* bundle =
        run->add_option("--bundle", options.bundle, "OCI runtime bundle (config.json + rootfs), as runc runs");
    rootfs->excludes(bundle);
    auto* image = run->add_option("--image", options.image,
                                  "A stored image (glassvm images): its layers under a fresh upper directory");
    image->excludes(rootfs)->excludes(bundle);
    run->add_option("--store", options.store,
                    "The image store with --image (default: $GLASSVM_STORE, /var/lib/glassvm as root)");
    run->add_option("--hostname", options.hostname, "Hostname inside the box (default: glassvm-box)");
    run->add_option(
        "--workdir", options.workdir,
        "The workload's working directory inside the box, an absolute path (default: /, or the image's WORKDIR)");
    run->add_option("--memory", options.memory, "Memory limit, with K/M/G suffix (cgroup memory.max)");
    run->add_option("--pids", options.pids, "Most processes the box may have (cgroup pids.max)")
        ->check(process_count_validator());
    run->add_option("--cpus", options.cpus, "CPU time as a fraction of CPUs, e.g. 0.5 (cgroup cpu.max)");
    run->add_flag("--user", options.user_namespace, "Also a user namespace: rootless, root only inside the box");
    run->add_option("-e,--env", options.env, "Set KEY=VALUE in the box's environment (repeatable)")
        ->allow_extra_args(false);
    run->add_option("--env-file", options.env_files, "Read KEY=VALUE lines into the environment (before -e)")
        ->allow_extra_args(false);
    run->add_option("command", options.command, "The command and its arguments (after --)");
    run->footer(
        "Examples:\n"
        "  scripts/make-rootfs /tmp/rootfs\n"
        "  glassvm box run --rootfs /tmp/rootfs -- /probe\n"
        "  glassvm box run --rootfs /tmp/rootfs --hostname web --memory 64M --pids 50 --cpus 0.5 -- sh\n"
        "  glassvm box run --bundle /tmp/bundle                 (an OCI bundle, as `runc run`)\n");
    return box;
}

container::ContainerConfig to_container_config(const BoxOptions& options) {
    container::ContainerConfig config;
    if (!options.bundle.empty()) {
        config = container::load_oci_bundle(options.bundle);
    } else if (!options.rootfs.empty()) {
        config = container::default_container_config();
        config.rootfs = std::filesystem::absolute(options.rootfs);
    } else {
        throw_bad_input("glassvm box run needs --rootfs DIR or --bundle DIR (scripts/make-rootfs DIR makes a rootfs)");
    }
    if (!options.command.empty()) config.args = options.command;
    if (config.args.empty()) throw_bad_input("glassvm box run: no command given (put it after --)");
    if (!options.hostname.empty()) config.hostname = options.hostname;
    if (!options.workdir.empty()) {
        if (!options.workdir.starts_with('/'))
            throw_bad_input("--workdir: '{}' is not an absolute path", options.workdir);
        config.cwd = options.workdir;
    }
    for (const std::string& path : options.env_files) set_env_from_file(config.env, path);
    for (const std::string& assignment : options.env) set_env(config.env, assignment, "--env");
    if (options.user_namespace) config.namespaces |= CLONE_NEWUSER;
    if (options.memory)
        config.resources.memory_bytes =
            checked_box_memory(parse_size(*options.memory, "--memory"), *options.memory, "--memory");
    if (options.pids) config.resources.pids = static_cast<uint64_t>(*options.pids);
    if (options.cpus) config.resources.cpu = box_cpu_quota(*options.cpus, "--cpus");
    return config;
}

int execute_box(const BoxOptions& options) {
    container::reexec_from_sealed_copy();  // the box must not reach this file (sealed_executable.hpp)
    if (!options.image.empty()) return execute_image_box(options);
    container::ContainerConfig config = to_container_config(options);
    container::BoxOutcome outcome = container::run_box(config);
    std::string ending = container::describe_ending(outcome, config);
    if (!ending.empty()) fmt::print(stderr, "glassvm: box: {}\n", ending);
    return outcome.exit_status;
}

}  // namespace glassvm
