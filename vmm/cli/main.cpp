// glassvm's entry point: parse the command line, run the subcommand, turn errors into exit
// statuses (2 for usage and bad input, 120 for VMM failures; abi/glassvm/abi.hpp lists all).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <glassvm/abi.hpp>

#include "cli/box_command.hpp"
#include "cli/compare_command.hpp"
#include "cli/daemon_forward.hpp"
#include "cli/image_command.hpp"
#include "cli/run_command.hpp"
#include "core/error.hpp"

namespace {

// If glassvm was started with stdin, stdout or stderr closed, the next open() (of /dev/kvm,
// say) would take that number and guest output or input would go astray: park /dev/null there.
void reserve_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) == -1 && ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) ::_exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    reserve_standard_fds();
    try {
        glassvm::forward_daemon_verbs(argc, argv);  // ps, create, start, …: glassvmd's (docs/API.md)
    } catch (const glassvm::Error& error) {
        fmt::print(stderr, "glassvm: {}\n", error.what());
        return glassvm::abi::kExitVmmError;
    }
    CLI::App app("glassvm: a small KVM hypervisor that boots its own tiny kernel, to see what a VM is",
                 "glassvm");
    app.set_version_flag("--version", "glassvm " GLASSVM_VERSION);
    app.require_subcommand(1);
    app.footer("Subcommands: run (a VM with its own kernel), box run (a container on the host's kernel), compare "
               "(the same program both ways and in the peers, side by side), images / build / image (docs/IMAGES.md); "
               "with glassvmd: daemon, ps, create, start, stop, rm, logs, wait, inspect, info (docs/API.md). "
               "'glassvm SUBCOMMAND --help' for each.");

    glassvm::RunOptions run_options;
    CLI::App* run = glassvm::add_run_command(app, run_options);
    glassvm::BoxOptions box_options;
    CLI::App* box = glassvm::add_box_command(app, box_options);
    glassvm::CompareOptions compare_options;
    CLI::App* compare = glassvm::add_compare_command(app, compare_options);
    glassvm::ImageOptions image_options;
    glassvm::add_image_commands(app, image_options);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) return app.exit(error);  // --help or --version: print it
        // One line, like every other usage error (docs/RELIABILITY.md, "Bad input").
        fmt::print(stderr, "glassvm: {} (see glassvm --help)\n", error.what());
        return glassvm::abi::kExitUsage;
    }

    try {
        if (*run) return glassvm::execute_run(run_options);
        if (*box) return glassvm::execute_box(box_options);
        if (*compare) return glassvm::execute_compare(compare_options);
        if (glassvm::image_command_chosen(image_options)) return glassvm::execute_image_command(image_options);
    } catch (const glassvm::Error& error) {
        fmt::print(stderr, "glassvm: {}\n", error.what());
        return error.kind() == glassvm::ErrorKind::BadInput ? glassvm::abi::kExitUsage
                                                            : glassvm::abi::kExitVmmError;
    } catch (const std::exception& error) {
        fmt::print(stderr, "glassvm: {}\n", error.what());
        return glassvm::abi::kExitVmmError;
    }
    return glassvm::abi::kExitUsage;
}
