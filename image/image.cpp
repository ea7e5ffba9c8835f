// Images as JSON, parsed strictly (image.hpp), and the names and ids they carry.
#include "image/image.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/quoted.hpp"

namespace glassvm::image {

using nlohmann::json;

namespace {

// The object's fields must be exactly `allowed` (all of them present).
void require_fields(const json& object, const std::set<std::string>& allowed, const std::string& what) {
    if (!object.is_object()) throw_bad_input("{}: expected a JSON object", what);
    for (const auto& [key, value] : object.items())
        if (!allowed.contains(key)) throw_bad_input("{}: unknown field '{}'", what, key);
    for (const std::string& key : allowed)
        if (!object.contains(key)) throw_bad_input("{}: field '{}' is missing", what, key);
}

template <typename T>
T field(const json& object, const std::string& key, const std::string& what) {
    try {
        return object.at(key).get<T>();
    } catch (const json::exception&) {
        throw_bad_input("{}: field '{}' has the wrong type", what, key);
    }
}

json to_json(const VmSettings& vm) {
    return {{"kernel", vm.kernel_layer_path},
            {"init", vm.init_path},
            {"cmdline", vm.cmdline},
            {"memory_bytes", vm.memory_bytes},
            {"cpus", vm.cpus}};
}

VmSettings vm_settings_from_json(const json& object) {
    const std::string what = "image config vm";
    require_fields(object, {"kernel", "init", "cmdline", "memory_bytes", "cpus"}, what);
    VmSettings vm;
    vm.kernel_layer_path = field<std::string>(object, "kernel", what);
    vm.init_path = field<std::string>(object, "init", what);
    vm.cmdline = field<std::string>(object, "cmdline", what);
    vm.memory_bytes = field<std::uint64_t>(object, "memory_bytes", what);
    vm.cpus = field<unsigned>(object, "cpus", what);
    return vm;
}

}  // namespace

std::string kind_name(InstanceKind kind) { return kind == InstanceKind::Vm ? "vm" : "box"; }

InstanceKind parse_kind(const std::string& text) {
    if (text == "box") return InstanceKind::Box;
    if (text == "vm") return InstanceKind::Vm;
    throw_bad_input("image kind '{}' is neither box nor vm", text);
}

json to_json(const ImageConfig& config) {
    return {{"kind", kind_name(config.kind)},
            {"command", config.command},
            {"env", config.env},
            {"working_dir", config.working_dir},
            {"vm", to_json(config.vm)}};
}

ImageConfig image_config_from_json(const json& object) {
    const std::string what = "image config";
    require_fields(object, {"kind", "command", "env", "working_dir", "vm"}, what);
    ImageConfig config;
    config.kind = parse_kind(field<std::string>(object, "kind", what));
    config.command = field<std::vector<std::string>>(object, "command", what);
    config.env = field<std::vector<std::string>>(object, "env", what);
    config.working_dir = field<std::string>(object, "working_dir", what);
    config.vm = vm_settings_from_json(object.at("vm"));
    return config;
}

json to_json(const Image& image) {
    return {{"id", image.id},
            {"name", image.name},
            {"layers", image.layers},
            {"config", to_json(image.config)},
            {"created", image.created}};
}

Image image_from_json(const json& object) {
    const std::string what = "image";
    require_fields(object, {"id", "name", "layers", "config", "created"}, what);
    Image image;
    image.id = field<std::string>(object, "id", what);
    image.name = field<std::string>(object, "name", what);
    image.layers = field<std::vector<std::string>>(object, "layers", what);
    image.config = image_config_from_json(object.at("config"));
    image.created = field<std::string>(object, "created", what);
    if (!is_digest(image.id)) throw_bad_input("image: id '{}' is not a sha256 digest", image.id);
    for (const std::string& layer : image.layers)
        if (!is_digest(layer)) throw_bad_input("image {}: layer '{}' is not a sha256 digest", image.id, layer);
    return image;
}

std::string canonical_json(const std::vector<std::string>& layers, const ImageConfig& config) {
    return json{{"layers", layers}, {"config", to_json(config)}}.dump();
}

std::string image_id(const std::vector<std::string>& layers, const ImageConfig& config) {
    return sha256_bytes(canonical_json(layers, config));
}

std::string normalize_name(const std::string& name) {
    // Names go into JSON (image files, the daemon's answers) and onto terminals: UTF-8 only, and
    // nothing that would break a line or hide characters.
    bool printable = is_valid_utf8(name) && std::none_of(name.begin(), name.end(), [](unsigned char c) {
                         return std::isspace(c) || c < 0x20 || c == 0x7f;
                     });
    if (name.empty() || !printable || name.front() == '/' || name.back() == '/' || name.back() == ':' ||
        name.starts_with("sha256:"))
        throw_bad_input("{} is not an image name (NAME or NAME:TAG: UTF-8, no spaces or control characters)",
                        quote_untrusted(name));
    size_t slash = name.rfind('/');
    size_t colon = name.rfind(':');
    bool has_tag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
    return has_tag ? name : name + ":latest";
}

std::string now_rfc3339() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32] = {};
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

}  // namespace glassvm::image
