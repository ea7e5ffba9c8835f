// Reading and writing an instance's shim.json and exit.json (see instance_state.hpp).
#include "daemon/instance_state.hpp"

#include "base/error.hpp"
#include "base/file.hpp"
#include "daemon/instance.hpp"

namespace glassvm::daemon {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json to_json(const ProcessIdentity& identity) { return {{"pid", identity.pid}, {"start_time", identity.start_time}}; }

ProcessIdentity identity_from_json(const json& object) {
    require_known_fields(object, {"pid", "start_time"}, "shim.json process");
    return {object.at("pid").get<pid_t>(), object.at("start_time").get<std::uint64_t>()};
}

std::optional<json> read_json(const fs::path& path) {
    auto text = read_text_file(path);
    if (!text) return std::nullopt;
    try {
        return json::parse(*text);
    } catch (const json::exception& error) {
        throw Error(ErrorKind::Internal, fmt::format("{} is not valid JSON: {}", path.string(), error.what()));
    }
}

ShimRecord shim_record_from_json(const json& object) {
    require_known_fields(object, {"shim", "workload", "started", "box_cgroups"}, "shim.json");
    // box_cgroups is absent from the records of shims older than it.
    return {identity_from_json(object.at("shim")), identity_from_json(object.at("workload")),
            object.at("started").get<std::string>(), object.value("box_cgroups", std::vector<std::string>{})};
}

}  // namespace

void write_shim_record(const fs::path& directory, const ShimRecord& record) {
    json object = {{"shim", to_json(record.shim)},
                   {"workload", to_json(record.workload)},
                   {"started", record.started},
                   {"box_cgroups", record.box_cgroups}};
    write_file_atomically(directory / "shim.json", object.dump() + "\n");
}

void write_exit_record(const fs::path& directory, const ExitRecord& record) {
    json object = {{"status", record.status}, {"finished", record.finished}};
    write_file_atomically(directory / "exit.json", object.dump() + "\n");
}

void clear_run_records(const fs::path& directory) {
    fs::remove(directory / "exit.json");
    fs::remove(directory / "shim.json");
}

InstanceState read_instance_state(const fs::path& directory) {
    InstanceState state;
    if (auto shim = read_json(directory / "shim.json")) state.shim = shim_record_from_json(*shim);
    if (auto exit = read_json(directory / "exit.json")) {
        require_known_fields(*exit, {"status", "finished"}, "exit.json");
        state.status = RunStatus::Exited;
        state.exit_status = exit->at("status").get<int>();
        state.finished = exit->at("finished").get<std::string>();
    } else if (state.shim) {
        state.status = is_alive(state.shim->shim) ? RunStatus::Running : RunStatus::Exited;
        state.lost = state.status == RunStatus::Exited;
    }
    return state;
}

std::string status_name(RunStatus status) {
    switch (status) {
        case RunStatus::Created:
            return "created";
        case RunStatus::Running:
            return "running";
        case RunStatus::Exited:
            return "exited";
    }
    return "unknown";
}

json to_json(const InstanceState& state) {
    json object = {{"status", status_name(state.status)},
                   {"exit_status", state.exit_status ? json(*state.exit_status) : json(nullptr)},
                   {"lost", state.lost},
                   {"started", state.shim ? json(state.shim->started) : json(nullptr)},
                   {"finished", state.finished.empty() ? json(nullptr) : json(state.finished)},
                   {"pid", state.status == RunStatus::Running ? json(state.shim->workload.pid) : json(nullptr)}};
    return object;
}

}  // namespace glassvm::daemon
