// The instances the daemon knows: create, start, stop, remove, wait, and where their logs are.
// Every instance is a directory <root>/instances/<id>/ (mode 0700) holding instance.json (what it
// is, 0600), a box's env file (0600, instance_launch.hpp), the shim's shim.json and exit.json (how
// its run went, instance_state.hpp), its log and, for a box, its upper/ and work/ directories and
// the rootfs/ mount point. Removing an instance ends every process of it, cgroup and all. The files are the truth:
// the in-memory index is rebuilt from them at start, so a daemon killed at any moment and
// started again has lost nothing.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/instance.hpp"
#include "daemon/instance_state.hpp"
#include "image/image_store.hpp"

namespace glassvm::daemon {

struct Programs {
    std::filesystem::path glassvm;  // runs the instances (glassvm box run, glassvm run)
    std::filesystem::path shim;     // the daemon's own program, run as `… shim`
};

// POST /instances: {"image", "kind"?, "name"?, "command"?, "env"?, "limits"?}.
struct CreateRequest {
    std::string image;
    std::optional<image::InstanceKind> kind;  // the image's kind when absent
    std::string name;
    std::vector<std::string> command;  // the image's CMD when empty
    std::vector<std::string> env;
    InstanceLimits limits;
    std::optional<AcceleratorChoice> accel;  // vm only; none: glassvm run's default
};
CreateRequest create_request_from_json(const nlohmann::json& json);

enum class RemoveMode {
    RefuseRunning,
    KillRunning
};

class InstanceManager {
public:
    // Loads every instance under <root>/instances (made 0700: places.hpp); ends the
    // box of any instance whose shim died while the daemon was away (box_cgroups.hpp).
    InstanceManager(std::filesystem::path root, image::ImageStore& images, std::mutex& images_mutex, Programs programs);

    Instance create(const CreateRequest& request);
    std::vector<std::pair<Instance, InstanceState>> list() const;
    std::pair<Instance, InstanceState> inspect(const std::string& id_or_name) const;
    void start(const std::string& id_or_name);
    // SIGTERM, then SIGKILL once `grace` has passed.
    void stop(const std::string& id_or_name, std::chrono::milliseconds grace);
    void remove(const std::string& id_or_name, RemoveMode mode);
    // Blocks until the instance has exited; its status (nothing when lost). Throws ApiError 503
    // once `stop` is requested (the daemon stops).
    std::optional<int> wait(const std::string& id_or_name, std::stop_token stop = {}) const;
    std::filesystem::path log_path(const std::string& id_or_name) const;
    bool is_running(const std::string& id) const;
    // True when an instance was created from the image `image_id`.
    bool uses_image(const std::string& image_id) const;

private:
    Instance find(const std::string& id_or_name) const;
    std::filesystem::path directory(const std::string& id) const { return m_instances_root / id; }
    std::shared_ptr<std::mutex> operation_lock(const std::string& id);
    void load_existing();
    bool wait_until_stopped(const Instance& instance, std::chrono::milliseconds timeout) const;
    void send_signal(const Instance& instance, int signal_number) const;
    void signal_and_wait(const Instance& instance, std::chrono::milliseconds grace);
    // Ends what an instance whose shim is gone left running: its glassvm and its box's cgroups.
    void end_leftovers(const Instance& instance) const;

    std::filesystem::path m_instances_root;
    image::ImageStore& m_images;
    std::mutex& m_images_mutex;
    Programs m_programs;
    mutable std::mutex m_mutex;  // guards the two maps below
    std::map<std::string, Instance> m_instances;
    std::map<std::string, std::shared_ptr<std::mutex>>
        m_operation_locks;  // one start/stop/remove at a time per instance
};

}  // namespace glassvm::daemon
