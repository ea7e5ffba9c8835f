// An instance's JSON form, parsed strictly (see instance.hpp).
#include "daemon/instance.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "base/size.hpp"
#include "container/box_limits.hpp"

namespace glassvm::daemon {

using nlohmann::json;

namespace {

template <typename T>
T field(const json& object, const char* key, const std::string& what) {
    auto entry = object.find(key);
    if (entry == object.end()) throw_bad_input("{}: the field \"{}\" is missing", what, key);
    try {
        return entry->get<T>();
    } catch (const json::exception&) {
        throw_bad_input("{}: the field \"{}\" has the wrong type", what, key);
    }
}

}  // namespace

void require_known_fields(const json& object, std::initializer_list<const char*> allowed, const std::string& what) {
    if (!object.is_object()) throw_bad_input("{} must be a JSON object", what);
    for (const auto& [key, value] : object.items()) {
        bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* name) { return key == name; });
        if (!known) throw_bad_input("{}: unknown field \"{}\"", what, key);
    }
}

InstanceLimits limits_from_json(const json& object) {
    require_known_fields(object, {"memory", "pids", "cpus"}, "limits");
    InstanceLimits limits;
    if (auto memory = object.find("memory"); memory != object.end()) {
        if (memory->is_number_unsigned())
            limits.memory_bytes = memory->get<std::uint64_t>();
        else if (memory->is_string())
            limits.memory_bytes = parse_size(memory->get<std::string>(), "limits.memory");
        else
            throw_bad_input("limits.memory must be a number of bytes or a size such as \"64M\"");
    }
    if (auto pids = object.find("pids"); pids != object.end()) {
        // What `glassvm box run --pids` takes, or 0 for no limit: -5 must not wrap to 4294967291
        // nor 1e30 become 0.
        std::string text = pids->dump();
        std::optional<uint64_t> count = pids->is_number_integer() ? parse_box_pids(text) : std::nullopt;
        if (!count && text != "0") throw_bad_input("limits.pids: {} (or 0 for none)", not_a_process_count(text));
        limits.pids = static_cast<unsigned>(count.value_or(0));
    }
    if (object.contains("cpus")) limits.cpus = field<double>(object, "cpus", "limits");
    if (limits.cpus < 0) throw_bad_input("limits.cpus: {} is negative", limits.cpus);
    return limits;
}

std::optional<AcceleratorChoice> accel_from_json(const json& value) {
    if (value.is_null()) return std::nullopt;
    if (!value.is_string()) throw_bad_input("accel: {} is not an accelerator (choose auto, kvm or soft)", value.dump());
    return parse_accelerator_choice(value.get<std::string>(), "accel");
}

json to_json(const Instance& instance) {
    return {
        {"id", instance.id},
        {"name", instance.name},
        {"image", instance.image},
        {"kind", image::kind_name(instance.kind)},
        {"command", instance.command},
        {"limits",
         {{"memory", instance.limits.memory_bytes}, {"pids", instance.limits.pids}, {"cpus", instance.limits.cpus}}},
        {"accel", instance.accel ? json(to_string(*instance.accel)) : json(nullptr)},
        {"created", instance.created},
        {"launch", instance.launch},
        {"lower_layers", instance.lower_layers}};
}

Instance instance_from_json(const json& object) {
    const std::string what = "instance.json";
    require_known_fields(
        object, {"id", "name", "image", "kind", "command", "limits", "accel", "created", "launch", "lower_layers"},
        what);
    Instance instance;
    instance.id = field<std::string>(object, "id", what);
    instance.name = field<std::string>(object, "name", what);
    instance.image = field<std::string>(object, "image", what);
    instance.kind = image::parse_kind(field<std::string>(object, "kind", what));
    instance.command = field<std::vector<std::string>>(object, "command", what);
    instance.limits = limits_from_json(field<json>(object, "limits", what));
    if (auto accel = object.find("accel"); accel != object.end()) instance.accel = accel_from_json(*accel);
    instance.created = field<std::string>(object, "created", what);
    instance.launch = field<std::vector<std::string>>(object, "launch", what);
    instance.lower_layers = field<std::vector<std::string>>(object, "lower_layers", what);
    return instance;
}

}  // namespace glassvm::daemon
