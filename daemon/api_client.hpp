// The API's client side, for the CLI: requests over the daemon's UNIX socket (cpp-httplib's
// Client) once it is known to be its user's or root's, JSON answers, and the daemon's
// {"message": …} errors turned into glassvm::Errors.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace glassvm::daemon {

class ApiClient {
public:
    explicit ApiClient(const std::filesystem::path& socket);

    nlohmann::json get(const std::string& path);
    nlohmann::json post(const std::string& path, const nlohmann::json& body = nlohmann::json::object());
    nlohmann::json post_file(const std::string& path, const std::string& bytes, const std::string& content_type);
    void remove(const std::string& path);
    // GET `path`, passing each piece of the body to `receive` as it arrives.
    void stream(const std::string& path, const std::function<void(const char*, size_t)>& receive);

private:
    nlohmann::json answer(const httplib::Result& result, const std::string& what);

    std::filesystem::path m_socket;
    httplib::Client m_client;
};

// True when something accepts connections on `socket` (a daemon runs).
bool daemon_answers(const std::filesystem::path& socket);

// Throws (BadInput, naming the owner) when `socket` or the directory it is in is owned by
// neither this process's user nor root, or when that directory is writable by others and not
// sticky (/tmp is): whoever owns them could have put their own listener there and would
// receive the requests. A socket or directory that does not exist passes (connecting fails).
void check_socket_owner(const std::filesystem::path& socket);

}  // namespace glassvm::daemon
