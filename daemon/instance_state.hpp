// An instance's run state, read from the files its shim writes into the instance directory:
//   shim.json  {shim, workload: {pid, start_time}, started, box_cgroups}   written once the workload runs
//   exit.json  {status, finished}                              written when the workload ended
// From them: created (neither), running (shim.json and the shim still alive), exited (exit.json),
// or lost (shim.json but the shim is gone without an exit.json: exited, status unknown). A
// restarted daemon needs nothing else to know where every instance is.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/process_identity.hpp"

namespace glassvm::daemon {

struct ShimRecord {
    ProcessIdentity shim;
    ProcessIdentity workload;              // glassvm box run / glassvm run, the shim's child
    std::string started;                   // RFC 3339 UTC
    std::vector<std::string> box_cgroups;  // where the box's cgroup can be (box_cgroups.hpp); none for a VM
};

struct ExitRecord {
    int status = 0;        // exit status, or 128 + signal
    std::string finished;  // RFC 3339 UTC
};

enum class RunStatus {
    Created,
    Running,
    Exited
};

struct InstanceState {
    RunStatus status = RunStatus::Created;
    std::optional<ShimRecord> shim;
    std::optional<int> exit_status;  // set when exited with a known status
    bool lost = false;               // exited while no one watched: the status is unknown
    std::string finished;
};

void write_shim_record(const std::filesystem::path& instance_directory, const ShimRecord& record);
void write_exit_record(const std::filesystem::path& instance_directory, const ExitRecord& record);
// Removes shim.json and exit.json before the instance starts again.
void clear_run_records(const std::filesystem::path& instance_directory);

InstanceState read_instance_state(const std::filesystem::path& instance_directory);

std::string status_name(RunStatus status);  // "created", "running", "exited"
nlohmann::json to_json(const InstanceState& state);

}  // namespace glassvm::daemon
