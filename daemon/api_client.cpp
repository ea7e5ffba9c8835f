// Talking to glassvmd over its socket (see api_client.hpp).
#include "daemon/api_client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.hpp"

namespace glassvm::daemon {

using nlohmann::json;

namespace {
constexpr time_t kLongRequestSeconds = 24 * 3600;  // wait, stop and build may take a while
}

ApiClient::ApiClient(const std::filesystem::path& socket) : m_socket(socket), m_client(socket.string(), 80) {
    check_socket_owner(socket);
    m_client.set_address_family(AF_UNIX);
    m_client.set_read_timeout(kLongRequestSeconds, 0);
}

json ApiClient::answer(const httplib::Result& result, const std::string& what) {
    if (!result)
        throw Error(ErrorKind::System,
                    fmt::format("{}: cannot reach the daemon at {} ({} error); is it running? Start it with "
                                "'glassvm daemon' (or pass --socket PATH)",
                                what, m_socket.string(), httplib::to_string(result.error())));
    json body = result->body.empty() ? json(nullptr) : json::parse(result->body, nullptr, false);
    if (result->status >= 400) {
        std::string message =
            body.is_object() && body.contains("message") ? body["message"].get<std::string>() : result->body;
        throw Error(result->status < 500 ? ErrorKind::BadInput : ErrorKind::Internal, message);
    }
    return body;
}

json ApiClient::get(const std::string& path) { return answer(m_client.Get(path), "GET " + path); }

json ApiClient::post(const std::string& path, const json& body) {
    return answer(m_client.Post(path, body.dump(), "application/json"), "POST " + path);
}

json ApiClient::post_file(const std::string& path, const std::string& bytes, const std::string& content_type) {
    return answer(m_client.Post(path, bytes, content_type), "POST " + path);
}

void ApiClient::remove(const std::string& path) { answer(m_client.Delete(path), "DELETE " + path); }

void ApiClient::stream(const std::string& path, const std::function<void(const char*, size_t)>& receive) {
    std::string error_body;
    int status = 0;
    auto result = m_client.Get(
        path,
        [&](const httplib::Response& response) {
            status = response.status;
            return true;
        },
        [&](const char* data, size_t length) {
            if (status >= 400)
                error_body.append(data, length);
            else
                receive(data, length);
            return true;
        });
    if (!result || status >= 400) {
        if (result) result->body = error_body;
        answer(result, "GET " + path);
    }
}

bool daemon_answers(const std::filesystem::path& socket) {
    httplib::Client client(socket.string(), 80);
    client.set_address_family(AF_UNIX);
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(2, 0);
    auto result = client.Get("/info");
    return result && result->status == 200;
}

void check_socket_owner(const std::filesystem::path& socket) {
    uid_t user = ::geteuid();
    auto refuse = [&](const std::string& what, uid_t owner) {
        throw_bad_input(
            "refusing the daemon socket {}: {} is owned by uid {}, who is neither you (uid {}) nor root "
            "and could have put a listener of their own there",
            socket.string(), what, owner, user);
    };
    std::filesystem::path directory = socket.has_parent_path() ? socket.parent_path() : ".";
    struct stat status {};
    if (::stat(directory.c_str(), &status) != 0) return;
    if (status.st_uid != user && status.st_uid != 0) refuse("its directory " + directory.string(), status.st_uid);
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (status.st_mode & S_ISVTX) == 0)
        throw_bad_input(
            "refusing the daemon socket {}: other users may write its directory {}, and could put a "
            "listener of their own there",
            socket.string(), directory.string());
    if (::lstat(socket.c_str(), &status) != 0) return;
    if (!S_ISSOCK(status.st_mode))
        throw_bad_input("refusing the daemon socket {}: it is not a socket", socket.string());
    if (status.st_uid != user && status.st_uid != 0) refuse("it", status.st_uid);
}

}  // namespace glassvm::daemon
