// glassvmd: the daemon (`glassvmd [daemon] [--socket PATH] [--root DIR]`), the shim it starts
// for each instance (`glassvmd shim`), and the CLI's daemon verbs (`glassvmd ps`, …), which
// `glassvm ps` etc. run (app/daemon_forward.cpp). A separate program from glassvm because
// Debian's cpp-httplib is a shared library and glassvm is a static executable.
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "base/subprocess.hpp"
#include "daemon/api_server.hpp"
#include "daemon/client_commands.hpp"
#include "daemon/places.hpp"
#include "daemon/shim.hpp"
#include "image/image_store.hpp"

namespace {

struct ServeOptions {
    std::string socket, root;
};

struct ShimOptions {
    std::string directory;
    int ready_fd = -1;
};

int serve(const ServeOptions& options) {
    glassvm::daemon::DaemonOptions daemon;
    daemon.socket = glassvm::daemon::socket_path(options.socket);
    daemon.root = std::filesystem::absolute(glassvm::image::store_root(options.root));
    daemon.shim_program = glassvm::own_executable();
    daemon.glassvm_program = daemon.shim_program.parent_path() / "glassvm";
    return glassvm::daemon::run_daemon(daemon);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("glassvmd: glassvm's daemon (an HTTP/JSON API on a UNIX socket) and its client verbs", "glassvmd");
    app.set_version_flag("--version", "glassvmd " GLASSVM_VERSION);
    ServeOptions serve_options;
    CLI::App* daemon = app.add_subcommand("daemon", "Serve the API (the default when no verb is given)");
    for (CLI::App* command : {static_cast<CLI::App*>(&app), daemon}) {
        command->add_option("--socket", serve_options.socket, "UNIX socket to listen on (docs/API.md has the default)");
        command->add_option("--root", serve_options.root,
                            "State directory (default: GLASSVM_STORE, /var/lib/glassvm as root)");
    }
    ShimOptions shim_options;
    CLI::App* shim = app.add_subcommand("shim", "(internal) supervise one instance for the daemon");
    shim->add_option("--dir", shim_options.directory)->required();
    shim->add_option("--ready-fd", shim_options.ready_fd)->required();
    shim->group("");
    glassvm::daemon::ClientOptions client_options;
    glassvm::daemon::add_client_commands(app, client_options);

    try {
        app.parse(argc, argv);
        if (*shim) return glassvm::daemon::run_shim(shim_options.directory, shim_options.ready_fd);
        if (app.get_subcommands().empty() || *daemon) return serve(serve_options);
        return client_options.status;
    } catch (const CLI::ParseError& error) {
        int status = app.exit(error);
        return status == 0 ? 0 : glassvm::kExitUsage;
    } catch (const std::exception& error) {
        return glassvm::report_failure(error);
    }
}
