// Setting up and running the server: the socket (mode 0660, group glassvm when it exists),
// timeouts and a thread pool so that slow or silent clients cannot stall others, limits on
// request sizes, and a clean stop on SIGTERM.
#include "daemon/api_server.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/error.hpp"
#include "daemon/api_context.hpp"

namespace glassvm::daemon {

namespace fs = std::filesystem;

namespace {

// Each connection holds a thread for its lifetime (a follow or wait as long as the instance
// runs), so the pool is larger than the CPUs; a connection that sends nothing is closed after
// kReadTimeoutSeconds and holds one thread until then, never the others.
constexpr std::size_t kThreads = 64;
constexpr time_t kReadTimeoutSeconds = 5;
constexpr time_t kWriteTimeoutSeconds = 10;
constexpr std::size_t kMaxUploadBytes = std::size_t{1} << 30;  // an image tar

bool someone_listens(const fs::path& socket_path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_path.string().copy(address.sun_path, sizeof address.sun_path - 1);
    bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

void prepare_socket_path(const fs::path& socket_path) {
    if (socket_path.string().size() >= sizeof(sockaddr_un::sun_path))
        throw_bad_input("the socket path {} is too long for a UNIX socket", socket_path.string());
    if (!socket_path.parent_path().empty()) fs::create_directories(socket_path.parent_path());
    if (fs::exists(fs::symlink_status(socket_path))) {
        if (someone_listens(socket_path)) throw_bad_input("a daemon already listens on {}", socket_path.string());
        fs::remove(socket_path);  // left by a daemon that was killed
    }
}

void restrict_socket(const fs::path& socket_path) {
    check_syscall("chmod " + socket_path.string(), ::chmod(socket_path.c_str(), 0660));
    if (::geteuid() != 0) return;
    if (const group* glassvm_group = ::getgrnam("glassvm"))
        check_syscall("chown " + socket_path.string(), ::chown(socket_path.c_str(), 0, glassvm_group->gr_gid));
}

// cpp-httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed when Debian built
// the library); a UNIX socket refuses connections beyond it at once (EAGAIN), so twenty clients
// connecting together would see failures. Listening again on the bound socket raises it.
void widen_backlog(int listening_fd) {
    check_syscall("listen (a longer backlog)", ::listen(listening_fd, SOMAXCONN));
}

void configure(httplib::Server& server, int& listening_fd) {
    server.set_socket_options([&listening_fd](int socket) {
        httplib::default_socket_options(socket);
        if (listening_fd < 0) listening_fd = socket;  // the server's own socket, before bind and listen
    });
    server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
    server.set_address_family(AF_UNIX);
    server.set_read_timeout(kReadTimeoutSeconds, 0);
    server.set_write_timeout(kWriteTimeoutSeconds, 0);
    server.set_keep_alive_timeout(kReadTimeoutSeconds);
    server.set_payload_max_length(kMaxUploadBytes);
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = response.status == 404 ? "no such route"
                              : response.status == 413 ? "the request body is too large"
                                                       : fmt::format("the request failed (HTTP {})", response.status);
        reply_error(response, response.status, message);
        return httplib::Server::HandlerResponse::Handled;
    }));
}

// Blocks SIGTERM and SIGINT in every thread; one thread waits for them and stops the server.
std::jthread stop_on_signal(httplib::Server& server) {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGTERM);
    ::sigaddset(&set, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    return std::jthread([&server, set] {
        int received = 0;
        ::sigwait(&set, &received);
        server.stop();
    });
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
    ::umask(022);
    std::mutex images_mutex;
    image::ImageStore images(options.root);
    InstanceManager instances(options.root, images, images_mutex, {options.glassvm_program, options.shim_program});
    ApiContext context{options.root, options.socket, options.glassvm_program, images, images_mutex, instances};

    httplib::Server server;
    int listening_fd = -1;
    configure(server, listening_fd);
    add_info_routes(server, context);
    add_image_routes(server, context);
    add_instance_routes(server, context);

    prepare_socket_path(options.socket);
    std::jthread signal_thread = stop_on_signal(server);
    if (!server.bind_to_port(options.socket.string(), 80))
        throw Error(ErrorKind::System, "cannot listen on " + options.socket.string());
    widen_backlog(listening_fd);
    restrict_socket(options.socket);
    fmt::print(stderr, "glassvmd: listening on {} (store {})\n", options.socket.string(), options.root.string());
    server.listen_after_bind();
    fs::remove(options.socket);
    if (signal_thread.joinable()) ::pthread_kill(signal_thread.native_handle(), SIGTERM);
    return 0;
}

}  // namespace glassvm::daemon
