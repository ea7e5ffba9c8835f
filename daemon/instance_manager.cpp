// The daemon's instances (see instance_manager.hpp).
#include "daemon/instance_manager.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/file.hpp"
#include "daemon/api_error.hpp"
#include "daemon/box_cgroups.hpp"
#include "daemon/instance_launch.hpp"
#include "daemon/places.hpp"
#include "daemon/shim.hpp"

namespace glassvm::daemon {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(25);
constexpr auto kKillTimeout = std::chrono::milliseconds(10'000);

std::string random_id() {
    std::random_device random;
    std::string id;
    while (id.size() < 64) id += fmt::format("{:08x}", random());
    return id;
}

// Docker's rule, [A-Za-z0-9][A-Za-z0-9_.-]*: "." and ".." are no names, and a name becomes
// the box's hostname.
bool is_valid_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name.front()))) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

// True when `pid` is a glassvm now (its box's cgroup would have the name a dead one's had).
bool is_glassvm(pid_t pid) {
    auto name = read_text_file("/proc/" + std::to_string(pid) + "/comm");
    return name && name->starts_with("glassvm");
}

}  // namespace

CreateRequest create_request_from_json(const json& object) {
    require_known_fields(object, {"image", "kind", "name", "command", "env", "limits", "accel"}, "the request");
    CreateRequest request;
    try {
        request.image = object.at("image").get<std::string>();
        if (object.contains("kind")) request.kind = image::parse_kind(object.at("kind").get<std::string>());
        if (object.contains("name")) request.name = object.at("name").get<std::string>();
        if (object.contains("command")) request.command = object.at("command").get<std::vector<std::string>>();
        if (object.contains("env")) request.env = object.at("env").get<std::vector<std::string>>();
    } catch (const json::exception& error) {
        throw_bad_input("the request: {}", error.what());
    }
    if (object.contains("limits")) request.limits = limits_from_json(object.at("limits"));
    if (object.contains("accel")) request.accel = accel_from_json(object.at("accel"));
    if (!request.name.empty() && !is_valid_name(request.name))
        throw_bad_input("name: \"{}\" is not 1-64 letters, digits, '-', '_' or '.' starting with a letter or digit",
                        request.name);
    for (const std::string& assignment : request.env) check_env_entry(assignment, "env");
    return request;
}

InstanceManager::InstanceManager(fs::path root, image::ImageStore& images, std::mutex& images_mutex, Programs programs)
        : m_instances_root(root / "instances"),
          m_images(images),
          m_images_mutex(images_mutex),
          m_programs(std::move(programs)) {
    make_private_directory(m_instances_root);
    load_existing();
}

void InstanceManager::load_existing() {
    for (const auto& entry : fs::directory_iterator(m_instances_root)) {
        if (!entry.is_directory()) continue;
        try {
            make_private_directory(entry.path());  // one an older glassvmd made 0755
            auto text = read_text_file(entry.path() / "instance.json");
            if (!text) continue;  // a create that crashed before its record was written
            Instance instance = instance_from_json(json::parse(*text));
            ::chmod((entry.path() / "instance.json").c_str(), 0600);
            try {
                end_leftovers(instance);  // a shim that died without recording the end left its box running
            } catch (const std::exception& error) {
                fmt::print(stderr, "glassvmd: instance {}: {}\n", instance.id.substr(0, 12), error.what());
            }
            m_instances.emplace(instance.id, std::move(instance));
        } catch (const std::exception& error) {
            fmt::print(stderr, "glassvmd: skipping {}: {}\n", entry.path().string(), error.what());
        }
    }
}

Instance InstanceManager::find(const std::string& key) const {
    std::lock_guard lock(m_mutex);
    if (auto exact = m_instances.find(key); exact != m_instances.end()) return exact->second;
    const Instance* match = nullptr;
    for (const auto& [id, instance] : m_instances) {
        bool matches = instance.name == key || (key.size() >= 4 && id.starts_with(key));
        if (!matches) continue;
        if (match != nullptr) throw_bad_input("\"{}\" names more than one instance: give more of the id", key);
        match = &instance;
    }
    if (match == nullptr) throw_not_found("no instance {}", key);
    return *match;
}

std::shared_ptr<std::mutex> InstanceManager::operation_lock(const std::string& id) {
    std::lock_guard lock(m_mutex);
    auto& slot = m_operation_locks[id];
    if (!slot) slot = std::make_shared<std::mutex>();
    return slot;
}

Instance InstanceManager::create(const CreateRequest& request) {
    // The image lock is held until the instance is recorded, so the image cannot be removed meanwhile.
    std::lock_guard images_lock(m_images_mutex);
    auto found = m_images.find(request.image);
    if (!found) throw_not_found("no image {}", request.image);
    const image::Image& image = *found;
    std::vector<fs::path> layers = m_images.layer_directories(image);
    Instance instance;
    instance.id = random_id();
    instance.name = request.name;
    instance.image = image.id;
    instance.kind = request.kind.value_or(image.config.kind);
    instance.command = request.command;
    instance.limits = request.limits;
    instance.accel = request.accel;
    instance.created = image::now_rfc3339();
    std::string env = plan_launch(instance, image, {m_programs.glassvm, directory(instance.id), layers, request.env});

    std::lock_guard lock(m_mutex);
    if (!instance.name.empty())
        for (const auto& [id, existing] : m_instances)
            if (existing.name == instance.name)
                throw_conflict("the name {} is taken by instance {}", instance.name, id.substr(0, 12));
    make_private_directory(directory(instance.id));
    if (!env.empty()) write_file_atomically(directory(instance.id) / kEnvFileName, env, 0600);
    write_file_atomically(directory(instance.id) / "instance.json", to_json(instance).dump(2) + "\n", 0600);
    m_instances.emplace(instance.id, instance);
    return instance;
}

std::vector<std::pair<Instance, InstanceState>> InstanceManager::list() const {
    std::vector<Instance> instances;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [id, instance] : m_instances) instances.push_back(instance);
    }
    std::stable_sort(instances.begin(), instances.end(),
                     [](const Instance& a, const Instance& b) { return a.created < b.created; });
    std::vector<std::pair<Instance, InstanceState>> result;
    for (Instance& instance : instances) {
        InstanceState state = read_instance_state(directory(instance.id));
        result.emplace_back(std::move(instance), std::move(state));
    }
    return result;
}

std::pair<Instance, InstanceState> InstanceManager::inspect(const std::string& key) const {
    Instance instance = find(key);
    return {instance, read_instance_state(directory(instance.id))};
}

void InstanceManager::start(const std::string& key) {
    Instance instance = find(key);
    auto lock = operation_lock(instance.id);
    std::lock_guard guard(*lock);
    if (read_instance_state(directory(instance.id)).status == RunStatus::Running)
        throw_conflict("instance {} is already running", instance.id.substr(0, 12));
    end_leftovers(instance);  // a box whose shim was killed must not share upper/ with the new one
    clear_run_records(directory(instance.id));
    try {
        launch_shim(m_programs.shim, directory(instance.id));
    } catch (const Error& error) {
        // The shim writes why it failed into the log: say it here too.
        std::string log = read_text_file(directory(instance.id) / "log").value_or("");
        log.erase(log.find_last_not_of('\n') + 1);
        std::string reason = log.substr(log.rfind('\n') + 1);
        throw Error(ErrorKind::Internal, fmt::format("instance {} did not start: {}", instance.id.substr(0, 12),
                                                     reason.empty() ? error.what() : reason));
    }
}

// True once the instance is no longer running, false if it still runs after `timeout`.
bool InstanceManager::wait_until_stopped(const Instance& instance, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_instance_state(directory(instance.id)).status == RunStatus::Running) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(kPollInterval);
    }
    return true;
}

// Signals the workload (not the shim, which stays to record how it ended).
void InstanceManager::send_signal(const Instance& instance, int signal_number) const {
    InstanceState state = read_instance_state(directory(instance.id));
    if (state.status == RunStatus::Running && is_alive(state.shim->workload))
        ::kill(state.shim->workload.pid, signal_number);
}

void InstanceManager::signal_and_wait(const Instance& instance, std::chrono::milliseconds grace) {
    if (grace.count() > 0) {
        send_signal(instance, SIGTERM);
        if (wait_until_stopped(instance, grace)) return;
    }
    send_signal(instance, SIGKILL);
    if (!wait_until_stopped(instance, kKillTimeout))
        throw Error(ErrorKind::Internal, "instance " + instance.id.substr(0, 12) + " did not end after SIGKILL");
}

void InstanceManager::end_leftovers(const Instance& instance) const {
    InstanceState state = read_instance_state(directory(instance.id));
    if (!state.shim || state.status == RunStatus::Running) return;  // a running shim ends its box itself
    const ShimRecord& record = *state.shim;
    bool ours = is_alive(record.workload);
    if (ours)
        ::kill(record.workload.pid, SIGKILL);  // its box's init dies with it (PR_SET_PDEATHSIG)
    else if (is_glassvm(record.workload.pid))
        return;  // the pid is another glassvm's now, and so is that cgroup name
    end_box_cgroups(record.box_cgroups, kKillTimeout);
}

void InstanceManager::stop(const std::string& key, std::chrono::milliseconds grace) {
    Instance instance = find(key);
    auto lock = operation_lock(instance.id);
    std::lock_guard guard(*lock);
    if (read_instance_state(directory(instance.id)).status != RunStatus::Running)
        throw_conflict("instance {} is not running", instance.id.substr(0, 12));
    signal_and_wait(instance, grace);
}

void InstanceManager::remove(const std::string& key, RemoveMode mode) {
    Instance instance = find(key);
    auto lock = operation_lock(instance.id);
    std::lock_guard guard(*lock);
    if (read_instance_state(directory(instance.id)).status == RunStatus::Running) {
        if (mode == RemoveMode::RefuseRunning)
            throw_conflict("instance {} is running: stop it first (or remove with force=1)", instance.id.substr(0, 12));
        signal_and_wait(instance, std::chrono::milliseconds(0));
    }
    end_leftovers(instance);
    {
        std::lock_guard index(m_mutex);
        m_instances.erase(instance.id);
        m_operation_locks.erase(instance.id);
    }
    fs::remove_all(directory(instance.id));
}

std::optional<int> InstanceManager::wait(const std::string& key, std::stop_token stop) const {
    Instance instance = find(key);
    for (;;) {
        if (stop.stop_requested()) throw ApiError(503, "the daemon is stopping");
        {
            std::lock_guard lock(m_mutex);
            if (!m_instances.contains(instance.id))
                throw_not_found("instance {} was removed", instance.id.substr(0, 12));
        }
        InstanceState state = read_instance_state(directory(instance.id));
        if (state.status == RunStatus::Created)
            throw_conflict("instance {} has not been started", instance.id.substr(0, 12));
        if (state.status == RunStatus::Exited) return state.exit_status;
        std::this_thread::sleep_for(kPollInterval);
    }
}

fs::path InstanceManager::log_path(const std::string& key) const { return directory(find(key).id) / "log"; }

bool InstanceManager::is_running(const std::string& id) const {
    return read_instance_state(directory(id)).status == RunStatus::Running;
}

bool InstanceManager::uses_image(const std::string& image_id) const {
    std::lock_guard lock(m_mutex);
    for (const auto& [id, instance] : m_instances)
        if (instance.image == image_id) return true;
    return false;
}

}  // namespace glassvm::daemon
