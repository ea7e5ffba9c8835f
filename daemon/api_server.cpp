// Setting up and running the server: the state root (0700) and the socket (mode 0660, group
// glassvm when it exists), limits on request sizes, a clean stop on SIGTERM, and the way
// connections are served so that slow, silent or long-waiting clients cannot stall others:
//   - each connection gets a thread of its own (at most kMaxConnections at once; more wait in
//     the listen backlog), so no client waits for a thread another client holds;
//   - a connection must deliver its whole request, not just each piece of it, by a deadline:
//     the request line and headers within kRequestHeadDeadline of its acceptance, then the body
//     at kMinUploadBytesPerSecond (cpp-httplib's own timeouts are per read, which a client
//     sending one header line every few seconds never trips);
//   - waits and log follows, which last as long as an instance runs, are bounded on their own
//     (kMaxLongRequests in api_context.hpp) to half the connections, so the other half always
//     serves short requests;
//   - one request per connection (no keep-alive), so a connection is no longer than its request.
#include "daemon/api_server.hpp"

#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "daemon/api_client.hpp"
#include "daemon/api_context.hpp"
#include "daemon/places.hpp"

namespace glassvm::daemon {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxConnections = 2 * kMaxLongRequests;
constexpr auto kRequestHeadDeadline = std::chrono::seconds(5);
constexpr std::uint64_t kMinUploadBytesPerSecond = 8 << 20;    // a 1 GiB image tar gets 128 s more
constexpr auto kReadTimeout = std::chrono::seconds(5);         // for each read, within the deadline
constexpr auto kWriteTimeout = std::chrono::seconds(10);       // for each write of the answer
constexpr std::size_t kMaxUploadBytes = std::size_t{1} << 30;  // an image tar

// A thread for each connection, kMaxConnections at most: enqueue() waits for one to end before
// it starts another (the listening thread then stops accepting; clients wait in the backlog).
// The count is shared with the threads, which may finish their last step after shutdown().
class ConnectionThreads final : public httplib::TaskQueue {
public:
    void enqueue(std::function<void()> serve) override {
        {
            std::unique_lock lock(m_count->mutex);
            m_count->changed.wait(lock, [&] { return m_count->active < kMaxConnections; });
            ++m_count->active;
        }
        try {
            std::thread([count = m_count, serve = std::move(serve)] {
                serve();
                std::lock_guard lock(count->mutex);
                --count->active;
                count->changed.notify_all();
            }).detach();
        } catch (const std::system_error&) {  // no thread to be had: serve it here, late rather than never
            serve();
            std::lock_guard lock(m_count->mutex);
            --m_count->active;
        }
    }

    // Waits for every connection to be served (the long requests end once the daemon stops).
    void shutdown() override {
        std::unique_lock lock(m_count->mutex);
        m_count->changed.wait(lock, [&] { return m_count->active == 0; });
    }

private:
    struct Count {
        std::mutex mutex;
        std::condition_variable changed;
        std::size_t active = 0;
    };
    std::shared_ptr<Count> m_count = std::make_shared<Count>();
};

// A connection's stream with a deadline on reading: every read waits at most kReadTimeout and
// never past the deadline; after it every read fails and cpp-httplib drops the request.
class DeadlineStream final : public httplib::Stream {
public:
    DeadlineStream(int fd, Clock::time_point deadline) : m_fd(fd), m_deadline(deadline) {}

    void extend_deadline(std::chrono::milliseconds more) { m_deadline += more; }

    bool is_readable() const override { return m_buffered < m_end || wait_for(POLLIN, read_wait()); }
    bool is_writable() const override { return wait_for(POLLOUT, kWriteTimeout); }

    ssize_t read(char* data, size_t size) override {
        if (m_buffered == m_end) {
            if (!wait_for(POLLIN, read_wait())) return -1;
            ssize_t count = ::recv(m_fd, m_buffer.data(), m_buffer.size(), 0);
            if (count <= 0) return count;
            m_end = static_cast<size_t>(count);
            m_buffered = 0;
        }
        size_t count = std::min(size, m_end - m_buffered);
        std::memcpy(data, m_buffer.data() + m_buffered, count);
        m_buffered += count;
        return static_cast<ssize_t>(count);
    }

    ssize_t write(const char* data, size_t size) override {
        if (!is_writable()) return -1;
        return ::send(m_fd, data, size, MSG_NOSIGNAL);
    }

    // A UNIX socket has no address to report (REMOTE_ADDR stays empty).
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip.clear();
        port = 0;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip.clear();
        port = 0;
    }
    int socket() const override { return m_fd; }

private:
    std::chrono::milliseconds read_wait() const {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - Clock::now());
        return std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(kReadTimeout));
    }

    bool wait_for(short events, std::chrono::milliseconds timeout) const {
        pollfd waiting{m_fd, events, 0};
        int ready;
        while ((ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {}
        return ready > 0;
    }

    int m_fd;
    Clock::time_point m_deadline;
    std::vector<char> m_buffer = std::vector<char>(16384);
    size_t m_end = 0;       // how much of m_buffer the last recv filled
    size_t m_buffered = 0;  // how much of that has been handed out
};

// cpp-httplib's server with our connection handling: process_and_close_socket is the virtual it
// calls for each accepted connection (from the thread enqueue() gave it), and process_request
// the protected step that reads one request from a stream, routes it and writes the answer.
class Server final : public httplib::Server {
private:
    bool process_and_close_socket(socket_t socket) override {
        DeadlineStream stream(socket, Clock::now() + kRequestHeadDeadline);
        bool closed = false;
        bool served = process_request(stream, true, closed, [&stream](httplib::Request& request) {
            // The headers are in: the body may take time in proportion to its announced length.
            std::uint64_t length = request.get_header_value<std::uint64_t>("Content-Length");
            if (request.has_header("Transfer-Encoding")) length = kMaxUploadBytes;  // chunked: as much as allowed
            std::uint64_t bounded = std::min<std::uint64_t>(length, kMaxUploadBytes);
            stream.extend_deadline(std::chrono::milliseconds(bounded * 1000 / kMinUploadBytesPerSecond));
        });
        ::shutdown(socket, SHUT_RDWR);
        ::close(socket);
        return served;
    }
};

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
    fs::path directory = socket_path.parent_path();
    // As root, /run/glassvm stays reachable by the group glassvm; a user's own (the fallback
    // /tmp/glassvm-UID) is theirs alone, as the client checks.
    if (!directory.empty() && !fs::exists(directory)) {
        if (::geteuid() == 0)
            fs::create_directories(directory);
        else
            make_private_directory(directory);
    }
    check_socket_owner(socket_path);  // not in a directory another user could swap it in
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
void widen_backlog(int listening_fd) { check_syscall("listen (a longer backlog)", ::listen(listening_fd, SOMAXCONN)); }

void configure(httplib::Server& server, int& listening_fd) {
    server.set_socket_options([&listening_fd](int socket) {
        httplib::default_socket_options(socket);
        if (listening_fd < 0) listening_fd = socket;  // the server's own socket, before bind and listen
    });
    server.new_task_queue = [] { return new ConnectionThreads; };
    server.set_address_family(AF_UNIX);
    server.set_read_timeout(kReadTimeout);    // set on each accepted socket (SO_RCVTIMEO, SO_SNDTIMEO),
    server.set_write_timeout(kWriteTimeout);  // which DeadlineStream polls before it reads or writes
    server.set_payload_max_length(kMaxUploadBytes);
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                                     httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = response.status == 404   ? "no such route"
                              : response.status == 413 ? "the request body is too large"
                                                       : fmt::format("the request failed (HTTP {})", response.status);
        reply_error(response, response.status, message);
        return httplib::Server::HandlerResponse::Handled;
    }));
    // Without a handler cpp-httplib answers an exception that escaped a route with 500 and its
    // text in an EXCEPTION_WHAT header; every answer is a JSON message instead.
    server.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr thrown) {
        std::string message = "an unexpected error";
        try {
            std::rethrow_exception(thrown);
        } catch (const std::exception& error) {
            message = error.what();
        } catch (...) {}
        reply_error(response, 500, message);
    });
}

// Blocks SIGTERM and SIGINT in every thread; one thread waits for them, ends the long requests
// and stops the server.
std::jthread stop_on_signal(httplib::Server& server, std::stop_source stopping) {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGTERM);
    ::sigaddset(&set, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    return std::jthread([&server, stopping, set]() mutable {
        int received = 0;
        ::sigwait(&set, &received);
        stopping.request_stop();
        server.stop();
    });
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
    ::umask(022);
    make_private_directory(options.root);  // before the store fills it (places.hpp)
    remove_stale_imports(options.root);
    std::mutex images_mutex;
    image::ImageStore images(options.root);
    InstanceManager instances(options.root, images, images_mutex, {options.glassvm_program, options.shim_program});
    ApiContext context{options.root, options.socket, options.glassvm_program, images, images_mutex, instances};

    Server server;
    int listening_fd = -1;
    configure(server, listening_fd);
    add_info_routes(server, context);
    add_image_routes(server, context);
    add_instance_routes(server, context);

    prepare_socket_path(options.socket);
    std::jthread signal_thread = stop_on_signal(server, context.stopping);
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
