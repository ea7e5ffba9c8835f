// What an instance is: one run of an image as a box (a container on the host's kernel) or as a
// VM (glassvm's own kernel under KVM), with its limits and the exact command line its shim
// runs. Stored as <root>/instances/<id>/instance.json and parsed strictly (an unknown, missing
// or mistyped field is an Error naming it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.hpp"
#include "vmm/run/accelerator_choice.hpp"

namespace glassvm::daemon {

struct InstanceLimits {
    std::uint64_t memory_bytes = 0;  // 0: no limit (box) / glassvm run's default (vm)
    unsigned pids = 0;               // box only; 0: no limit
    double cpus = 0;                 // box: a fraction of CPUs (cgroup cpu.max); vm: vCPUs; 0: default
};

struct Instance {
    std::string id;     // 64 hex digits
    std::string name;   // unique among instances; may be empty
    std::string image;  // the image's id ("sha256:…")
    image::InstanceKind kind = image::InstanceKind::Box;
    std::vector<std::string> command;  // what runs: the box's command, or the VM's init and its arguments
    InstanceLimits limits;
    // vm: `glassvm run --accel`; none: glassvm run's own default (its GLASSVM_ACCEL, else auto).
    // Optional in instance.json, which records from before it lack.
    std::optional<AcceleratorChoice> accel;
    std::string created;                    // RFC 3339 UTC
    std::vector<std::string> launch;        // the argv the shim executes (glassvm box run … / glassvm run …)
    std::vector<std::string> lower_layers;  // box: the image's layer directories, bottom first
};

nlohmann::json to_json(const Instance& instance);
Instance instance_from_json(const nlohmann::json& json);

// The limits object of the API and of instance.json: {"memory": bytes or "64M", "pids": N,
// "cpus": X}, every field optional, unknown fields refused.
InstanceLimits limits_from_json(const nlohmann::json& json);

// The "accel" field of the API and of instance.json: "auto", "kvm", "soft", or null for none;
// anything else is BadInput naming the field and the three values.
std::optional<AcceleratorChoice> accel_from_json(const nlohmann::json& json);

// Throws a BadInput Error naming the first key of `object` not in `allowed` (`what` names the
// object), or when `object` is not a JSON object.
void require_known_fields(const nlohmann::json& object, std::initializer_list<const char*> allowed,
                          const std::string& what);

}  // namespace glassvm::daemon
