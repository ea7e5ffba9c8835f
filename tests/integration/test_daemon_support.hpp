// What the daemon tests share: a glassvmd on a temporary socket and store root (started,
// killed with SIGKILL, restarted), curl over its UNIX socket, and a busybox image in it; and
// looking at what an instance left on the host (its processes, descriptors and cgroups).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace glassvm::test {

struct HttpAnswer {
    int status = 0;  // the HTTP status (0: no answer)
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
    const std::string& root() const { return m_root; }  // the daemon's --root (its state)
    std::string instance_directory(const std::string& id) const { return m_root + "/instances/" + id; }
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

    // The instance's shim.json (REQUIREs it).
    nlohmann::json shim_record(const std::string& id) const;

private:
    std::string m_directory, m_socket, m_root;
    pid_t m_pid = -1;
};

// True when `pid` exists and is not a zombie (/proc/PID/stat's state field).
bool process_runs(pid_t pid);
// Every process whose parent chain leads to `pid` (not `pid` itself).
std::vector<pid_t> descendants(pid_t pid);
// /proc/PID/comm without its newline ("" when gone).
std::string process_name(pid_t pid);
// Waits up to `timeout` for a descendant of `pid` named `name`; 0 when none came.
pid_t wait_for_descendant(pid_t pid, const std::string& name, std::chrono::milliseconds timeout);
// Every cgroup directory named `name` under /sys/fs/cgroup, in every tree.
std::vector<std::string> cgroup_directories_named(const std::string& name);
// `argv` run as user and group nobody (65534) with no supplementary groups (setpriv).
// `environment` ("K=V"…) is all it gets, with a PATH.
ProcessResult run_as_nobody(const std::vector<std::string>& argv, const std::vector<std::string>& environment = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace glassvm::test
