// What the daemon tests share: a glassvmd on a temporary socket and store root (started,
// killed with SIGKILL, restarted), curl over its UNIX socket, and a busybox image in it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace glassvm::test {

struct HttpAnswer {
    int status = 0;    // the HTTP status (0: no answer)
    std::string body;
    nlohmann::json json() const;  // the body parsed (throws when it is not JSON)
};

class TestDaemon {
public:
    TestDaemon();   // a fresh temporary directory; the daemon started and answering
    ~TestDaemon();  // every instance removed (force), the daemon stopped, the directory deleted
    TestDaemon(const TestDaemon&) = delete;
    TestDaemon& operator=(const TestDaemon&) = delete;

    const std::string& socket() const { return m_socket; }
    const std::string& directory() const { return m_directory; }
    void kill_hard();  // SIGKILL, reaped
    void start();      // (again) on the same socket and root; returns once it answers

    // curl --unix-socket SOCKET -X METHOD http://glassvm/PATH [-d BODY]
    HttpAnswer request(const std::string& method, const std::string& path, const std::string& body = "",
                       const std::vector<std::string>& extra_curl_options = {}) const;
    HttpAnswer get(const std::string& path) const { return request("GET", path); }
    HttpAnswer post(const std::string& path, const std::string& body = "") const { return request("POST", path, body); }
    HttpAnswer remove(const std::string& path) const { return request("DELETE", path); }

    // Imports the box test rootfs (busybox, /probe) as `name` (CMD /probe 10); returns its id.
    std::string import_busybox(const std::string& name = "busybox");
    // POST /instances with `body`; returns the new id (REQUIREs 201).
    std::string create(const nlohmann::json& body) const;

private:
    std::string m_directory, m_socket, m_root;
    pid_t m_pid = -1;
};

}  // namespace glassvm::test
