// glassvm's entry point: parse the command line, run the subcommand, turn errors into exit
// statuses (base/error.hpp). The one place that knows every layer: the hypervisor (run),
// the container runtime (box), images and the daemon. Built with GLASSVM_HYPERVISOR_ONLY, it is
// `glassvm run` alone, on the hypervisor library alone.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/run_command.hpp"
#include "base/error.hpp"
#ifndef GLASSVM_HYPERVISOR_ONLY
#include "app/box_command.hpp"
#include "app/compare_command.hpp"
#include "app/daemon_forward.hpp"
#include "app/image_command.hpp"
#endif

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
    CLI::App app("glassvm: a small KVM hypervisor that boots its own tiny kernel, to see what a VM is", "glassvm");
    app.set_version_flag("--version", "glassvm " GLASSVM_VERSION);
    app.require_subcommand(1);
    glassvm::RunOptions run_options;
    CLI::App* run = glassvm::add_run_command(app, run_options);
#ifdef GLASSVM_HYPERVISOR_ONLY
    app.footer(
        "Subcommand: run (a VM with its own kernel); 'glassvm run --help'. This glassvm was built with "
        "GLASSVM_HYPERVISOR_ONLY: no box, compare, images or daemon verbs.");
#else
    try {
        glassvm::forward_daemon_verbs(argc, argv);  // ps, create, start, …: glassvmd's (docs/API.md)
    } catch (const std::exception& error) {
        return glassvm::report_failure(error);
    }
    app.footer(
        "Subcommands: run (a VM with its own kernel), box run (a container on the host's kernel), compare "
        "(the same program both ways and in the peers, side by side), images / build / image (docs/IMAGES.md); "
        "info (the accelerators here: KVM, the soft CPU; and the daemon's); with glassvmd: daemon, ps, create, start, "
        "stop, rm, logs, wait, inspect (docs/API.md). "
        "'glassvm SUBCOMMAND --help' for each.");
    glassvm::BoxOptions box_options;
    CLI::App* box = glassvm::add_box_command(app, box_options);
    glassvm::CompareOptions compare_options;
    CLI::App* compare = glassvm::add_compare_command(app, compare_options);
    glassvm::ImageOptions image_options;
    glassvm::add_image_commands(app, image_options);
#endif

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) return app.exit(error);  // --help or --version: print it
        // One line, like every other usage error (docs/RELIABILITY.md, "Bad input").
        fmt::print(stderr, "glassvm: {} (see glassvm --help)\n", error.what());
        return glassvm::kExitUsage;
    }

    try {
        if (*run) return glassvm::execute_run(run_options);
#ifndef GLASSVM_HYPERVISOR_ONLY
        if (*box) return glassvm::execute_box(box_options);
        if (*compare) return glassvm::execute_compare(compare_options);
        if (glassvm::image_command_chosen(image_options)) return glassvm::execute_image_command(image_options);
#endif
    } catch (const std::exception& error) {
        return glassvm::report_failure(error);
    }
    return glassvm::kExitUsage;
}
