// glassvm in the background with its output in temporary files, gdb in batch mode, and a raw
// protocol client.
#include "gdb_session.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace glassvm::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string temporary_file(const char* name) {
    std::string path = fmt::format("/tmp/glassvm-gdb-test-{}-XXXXXX", name);
    int fd = ::mkstemp(path.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    return path;
}

std::string file_contents(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream contents;
    contents << file.rdbuf();
    return contents.str();
}

pid_t start_process(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid > 0) return pid;
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(::open(out.c_str(), O_WRONLY | O_TRUNC), 1);
    ::dup2(::open(err.c_str(), O_WRONLY | O_TRUNC), 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s failed\n", args[0]);
    ::_exit(127);
}

}  // namespace

GlassvmUnderGdb::GlassvmUnderGdb(const std::vector<std::string>& arguments)
        : m_out_path(temporary_file("out")), m_err_path(temporary_file("err")) {
    std::vector<std::string> argv = {build_path("glassvm"), "run", "--gdb", "127.0.0.1:0"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    m_pid = start_process(argv, m_out_path, m_err_path);
    const std::string marker = "waiting for gdb on 127.0.0.1:";
    for (auto deadline = Clock::now() + std::chrono::seconds(20); Clock::now() < deadline;) {
        std::string err = read_stderr();
        size_t at = err.find(marker);
        if (at != std::string::npos && err.find('\n', at) != std::string::npos) {
            m_port = static_cast<uint16_t>(std::stoi(err.substr(at + marker.size())));
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("glassvm did not start listening for gdb; stderr: " + read_stderr());
}

GlassvmUnderGdb::~GlassvmUnderGdb() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    ::unlink(m_out_path.c_str());
    ::unlink(m_err_path.c_str());
}

std::string GlassvmUnderGdb::read_stderr() const { return file_contents(m_err_path); }

ProcessResult GlassvmUnderGdb::wait(std::chrono::milliseconds timeout) {
    ProcessResult result;
    int status = 0;
    auto start = Clock::now();
    while (::waitpid(m_pid, &status, WNOHANG) == 0) {
        if (Clock::now() - start > timeout) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
            result.timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    m_pid = -1;
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = file_contents(m_out_path);
    result.err = read_stderr();
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return result;
}

ProcessResult run_gdb(uint16_t port, const std::vector<std::string>& commands) {
    // Through sh for `2>&1`: gdb writes monitor output and console lines to stderr, and the
    // tests (like a reader of a transcript) want both streams in the order they came.
    std::vector<std::string> argv = {
        "/bin/sh", "-c",  "exec gdb \"$@\" 2>&1",         "sh",  "-batch",
        "-nx",     "-ex", "set architecture i386:x86-64", "-ex", fmt::format("target remote 127.0.0.1:{}", port)};
    for (const auto& command : commands) {
        argv.push_back("-ex");
        argv.push_back(command);
    }
    return run_process(argv, {}, std::chrono::seconds(60));
}

RawGdbClient::RawGdbClient(uint16_t port) {
    m_socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(m_socket, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw std::runtime_error(fmt::format("connect to 127.0.0.1:{} failed", port));
}

RawGdbClient::~RawGdbClient() { close(); }

void RawGdbClient::send(std::string_view bytes) {
    if (::send(m_socket, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
        throw std::runtime_error("send to the stub failed");
}

std::string RawGdbClient::read_until(std::string_view text, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    size_t found = std::string::npos;
    while ((found = m_received.find(text, m_consumed)) == std::string::npos && Clock::now() < deadline) {
        pollfd readable{m_socket, POLLIN, 0};
        if (::poll(&readable, 1, 50) <= 0) continue;
        char buffer[4096];
        ssize_t received = ::recv(m_socket, buffer, sizeof buffer, 0);
        if (received <= 0) break;
        m_received.append(buffer, static_cast<size_t>(received));
    }
    size_t end = found == std::string::npos ? m_received.size() : found + text.size();
    std::string chunk = m_received.substr(m_consumed, end - m_consumed);
    m_consumed = end;
    return chunk;
}

void RawGdbClient::close() {
    if (m_socket >= 0) ::close(m_socket);
    m_socket = -1;
}

std::string framed(std::string_view data) {
    unsigned sum = 0;
    for (char byte : data) sum += static_cast<unsigned char>(byte);
    return fmt::format("${}#{:02x}", data, sum & 0xff);
}

}  // namespace glassvm::test
