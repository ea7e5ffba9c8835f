// OCI config.json → ContainerConfig, walking the JSON with a path for every error.
#include "container/oci_bundle.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "container/capabilities.hpp"
#include "container/namespaces.hpp"

namespace glassvm::container {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Why some fields a runtime-spec config may have are refused (the rest get a generic reason).
const std::map<std::string, std::string>& refusal_reasons() {
    static const std::map<std::string, std::string> reasons = {
        {"linux.seccomp", "glassvm box always applies its own filter (container/seccomp_filter.cpp)"},
        {"process.apparmorProfile", "glassvm box does not use AppArmor"},
        {"process.selinuxLabel", "glassvm box does not use SELinux"},
        {"linux.cgroupsPath", "glassvm box names its cgroup glassvm-box-<pid>"},
        {"hooks", "glassvm box runs no hooks"},
        {"linux.sysctl", "glassvm box sets no sysctls"},
        {"linux.devices", "the box's /dev is fixed: null zero full random urandom tty"},
    };
    return reasons;
}

// A JSON value and where it is, for messages.
class Field {
public:
    Field(const json& value, std::string path, std::string_view file)
            : m_value(value), m_path(std::move(path)), m_file(file) {}

    const std::string& path() const { return m_path; }
    const json& value() const { return m_value; }

    [[noreturn]] void fail(std::string_view what) const { throw_bad_input("{}: {} {}", m_file, m_path, what); }

    // Refuses every key of this object that is not in `known`.
    void only(std::initializer_list<std::string_view> known) const {
        object();
        for (const auto& [key, value] : m_value.items()) {
            if (std::find(known.begin(), known.end(), key) != known.end()) continue;
            std::string path = child_path(key);
            auto reason = refusal_reasons().find(path);
            throw_bad_input("{}: {} is not supported by glassvm box ({})", m_file, path,
                            reason != refusal_reasons().end() ? reason->second
                                                              : "see container/oci_bundle.hpp for the fields it takes");
        }
    }
    bool has(std::string_view key) const { return m_value.is_object() && m_value.contains(key); }
    // The member `key`; a BadInput error naming its path when this is no object or lacks it.
    Field operator[](std::string_view key) const {
        if (!object().contains(key)) throw_bad_input("{}: {} is missing", m_file, child_path(key));
        return Field(m_value.at(std::string(key)), child_path(key), m_file);
    }

    const json& object() const {
        if (!m_value.is_object()) fail("must be an object");
        return m_value;
    }
    std::vector<Field> array() const {
        if (!m_value.is_array()) fail("must be an array");
        std::vector<Field> items;
        for (size_t i = 0; i < m_value.size(); ++i)
            items.emplace_back(m_value[i], fmt::format("{}[{}]", m_path, i), m_file);
        return items;
    }
    std::string string() const {
        if (!m_value.is_string()) fail("must be a string");
        return m_value.get<std::string>();
    }
    bool boolean() const {
        if (!m_value.is_boolean()) fail("must be true or false");
        return m_value.get<bool>();
    }
    int64_t integer() const {
        if (!m_value.is_number_integer()) fail("must be an integer");
        return m_value.get<int64_t>();
    }
    uint32_t id() const {
        int64_t value = integer();
        if (value < 0 || value > UINT32_MAX) fail("must be between 0 and 4294967295");
        return static_cast<uint32_t>(value);
    }
    std::vector<std::string> strings() const {
        std::vector<std::string> values;
        for (const Field& item : array()) values.push_back(item.string());
        return values;
    }

private:
    std::string child_path(std::string_view key) const {
        return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
    }

    const json& m_value;
    std::string m_path;
    std::string_view m_file;
};

uint64_t capability_mask(const Field& list) {
    uint64_t mask = 0;
    for (const Field& item : list.array()) {
        std::optional<int> number = capability_number(item.string());
        if (!number) item.fail(fmt::format("names an unknown capability '{}'", item.string()));
        mask |= uint64_t{1} << *number;
    }
    return mask;
}

int rlimit_resource(const Field& type) {
    static const std::map<std::string, int> resources = {{"RLIMIT_AS", RLIMIT_AS},
                                                         {"RLIMIT_CORE", RLIMIT_CORE},
                                                         {"RLIMIT_CPU", RLIMIT_CPU},
                                                         {"RLIMIT_DATA", RLIMIT_DATA},
                                                         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                                         {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                                         {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                                         {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                                         {"RLIMIT_NICE", RLIMIT_NICE},
                                                         {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                                         {"RLIMIT_NPROC", RLIMIT_NPROC},
                                                         {"RLIMIT_RSS", RLIMIT_RSS},
                                                         {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                                         {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                                         {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                                         {"RLIMIT_STACK", RLIMIT_STACK}};
    auto found = resources.find(type.string());
    if (found == resources.end()) type.fail(fmt::format("names an unknown resource '{}'", type.string()));
    return found->second;
}

void read_user(const Field& user, ContainerConfig& config) {
    user.only({"uid", "gid", "umask", "additionalGids"});
    if (user.has("uid")) config.uid = user["uid"].id();
    if (user.has("gid")) config.gid = user["gid"].id();
    if (user.has("umask")) config.umask = user["umask"].id();
    if (user.has("additionalGids"))
        for (const Field& gid : user["additionalGids"].array()) config.additional_gids.push_back(gid.id());
}

void read_process(const Field& process, ContainerConfig& config) {
    process.only({"terminal", "user", "args", "env", "cwd", "capabilities", "rlimits", "noNewPrivileges"});
    if (process.has("terminal")) process["terminal"].boolean();  // accepted: see oci_bundle.hpp
    if (process.has("user")) read_user(process["user"], config);
    if (process.has("args")) config.args = process["args"].strings();
    if (process.has("env")) {
        for (const Field& variable : process["env"].array())
            if (variable.string().find('=') == std::string::npos) variable.fail("must be KEY=VALUE");
        config.env = process["env"].strings();
    }
    if (process.has("cwd")) {
        config.cwd = process["cwd"].string();
        if (!config.cwd.starts_with('/')) process["cwd"].fail("must be an absolute path");
    }
    // Absent capabilities mean none (the spec's reading; the safer one).
    config.capabilities = {};
    if (process.has("capabilities")) {
        Field sets = process["capabilities"];
        sets.only({"bounding", "effective", "permitted", "inheritable", "ambient"});
        if (sets.has("bounding")) config.capabilities.bounding = capability_mask(sets["bounding"]);
        if (sets.has("effective")) config.capabilities.effective = capability_mask(sets["effective"]);
        if (sets.has("permitted")) config.capabilities.permitted = capability_mask(sets["permitted"]);
        if (sets.has("inheritable")) config.capabilities.inheritable = capability_mask(sets["inheritable"]);
        if (sets.has("ambient")) config.capabilities.ambient = capability_mask(sets["ambient"]);
    }
    if (process.has("rlimits")) {
        for (const Field& limit : process["rlimits"].array()) {
            limit.only({"type", "soft", "hard"});
            config.rlimits.push_back({rlimit_resource(limit["type"]), static_cast<uint64_t>(limit["soft"].integer()),
                                      static_cast<uint64_t>(limit["hard"].integer())});
        }
    }
    config.no_new_privileges = process.has("noNewPrivileges") && process["noNewPrivileges"].boolean();
}

void read_root(const Field& root, const fs::path& bundle, ContainerConfig& config) {
    root.only({"path", "readonly"});
    if (!root.has("path")) root.fail("needs a path");
    fs::path path = root["path"].string();
    config.rootfs = path.is_absolute() ? path : bundle / path;
    config.readonly_root = root.has("readonly") && root["readonly"].boolean();
}

void read_mounts(const Field& mounts, ContainerConfig& config) {
    for (const Field& mount : mounts.array()) {
        mount.only({"destination", "type", "source", "options"});
        MountSpec spec;
        spec.destination = mount["destination"].string();
        if (mount.has("type")) spec.type = mount["type"].string();
        if (mount.has("source")) spec.source = mount["source"].string();
        if (mount.has("options")) spec.options = mount["options"].strings();
        if (!spec.destination.starts_with('/')) mount["destination"].fail("must be an absolute path");
        config.mounts.push_back(std::move(spec));
    }
}

std::vector<IdMapping> read_id_mappings(const Field& list) {
    std::vector<IdMapping> mappings;
    for (const Field& item : list.array()) {
        item.only({"containerID", "hostID", "size"});
        mappings.push_back({item["containerID"].id(), item["hostID"].id(), item["size"].id()});
    }
    return mappings;
}

void read_namespaces(const Field& namespaces, ContainerConfig& config) {
    config.namespaces = 0;
    for (const Field& entry : namespaces.array()) {
        entry.only({"type"});  // "path" (joining an existing namespace) is refused here
        std::optional<int> flag = namespace_flag(entry["type"].string());
        if (!flag)
            entry["type"].fail(
                fmt::format("names a namespace glassvm box cannot create: '{}'", entry["type"].string()));
        config.namespaces |= *flag;
    }
    if (!(config.namespaces & CLONE_NEWNS))
        namespaces.fail("must include a mount namespace (glassvm box uses pivot_root)");
}

void read_resources(const Field& resources, ContainerConfig& config) {
    resources.only({"memory", "pids", "cpu", "devices"});
    if (resources.has("memory")) {
        Field memory = resources["memory"];
        memory.only({"limit"});
        if (memory.has("limit") && memory["limit"].integer() > 0)
            config.resources.memory_bytes = static_cast<uint64_t>(memory["limit"].integer());
    }
    if (resources.has("pids")) {
        Field pids = resources["pids"];
        pids.only({"limit"});
        if (pids.has("limit") && pids["limit"].integer() > 0)
            config.resources.pids = static_cast<uint64_t>(pids["limit"].integer());
    }
    if (resources.has("cpu")) {
        Field cpu = resources["cpu"];
        cpu.only({"quota", "period"});
        CpuQuota quota;
        if (cpu.has("period")) quota.period_us = static_cast<uint64_t>(cpu["period"].integer());
        if (cpu.has("quota") && cpu["quota"].integer() > 0) {
            quota.quota_us = static_cast<uint64_t>(cpu["quota"].integer());
            config.resources.cpu = quota;
        }
    }
    if (resources.has("devices")) {
        for (const Field& rule : resources["devices"].array()) {
            rule.only({"allow", "access", "type"});
            bool deny_all = !rule["allow"].boolean() && (!rule.has("type") || rule["type"].string() == "a") &&
                            (!rule.has("access") || rule["access"].string() == "rwm");
            if (!deny_all) rule.fail("is not supported: glassvm box takes only the deny-all rule; its /dev is fixed");
        }
    }
}

void read_linux(const Field& linux_section, ContainerConfig& config) {
    linux_section.only({"namespaces", "uidMappings", "gidMappings", "resources", "maskedPaths", "readonlyPaths"});
    if (linux_section.has("namespaces")) read_namespaces(linux_section["namespaces"], config);
    if (linux_section.has("uidMappings")) config.uid_mappings = read_id_mappings(linux_section["uidMappings"]);
    if (linux_section.has("gidMappings")) config.gid_mappings = read_id_mappings(linux_section["gidMappings"]);
    if (linux_section.has("resources")) read_resources(linux_section["resources"], config);
    if (linux_section.has("maskedPaths")) config.masked_paths = linux_section["maskedPaths"].strings();
    if (linux_section.has("readonlyPaths")) config.readonly_paths = linux_section["readonlyPaths"].strings();
}

json parse_json(std::string_view text, std::string_view file) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& error) {
        // error.byte is 1-based: the byte at which parsing failed.
        size_t offset = std::min<size_t>(error.byte > 0 ? error.byte - 1 : 0, text.size());
        size_t line =
            1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(offset), '\n'));
        size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
        size_t column = offset - (line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1) + 1;
        std::string reason = error.what();
        if (size_t colon = reason.find(": "); colon != std::string::npos) reason = reason.substr(colon + 2);
        throw_bad_input("{}: line {}, column {}: malformed JSON: {}", file, line, column, reason);
    } catch (const json::exception& error) {
        // Well-formed but unrepresentable, like the number 1e400 (out_of_range.406): no position.
        std::string reason = error.what();
        if (size_t bracket = reason.find("] "); bracket != std::string::npos) reason = reason.substr(bracket + 2);
        throw_bad_input("{}: malformed JSON: {}", file, reason);
    }
}

}  // namespace

ContainerConfig parse_oci_config(std::string_view text, const fs::path& bundle, std::string_view file) {
    json document = parse_json(text, file);
    Field top(document, "", file);
    if (!document.is_object()) throw_bad_input("{}: the top level must be an object", file);
    top.only({"ociVersion", "process", "root", "hostname", "mounts", "linux", "annotations"});

    ContainerConfig config;
    config.bundle = bundle;
    config.namespaces = CLONE_NEWNS;
    config.no_new_privileges = false;
    config.resources.restrict_devices = true;
    if (!top.has("ociVersion") || !top["ociVersion"].string().starts_with("1."))
        throw_bad_input("{}: ociVersion must be 1.x (runtime-spec 1), got {}", file,
                        top.has("ociVersion") ? top["ociVersion"].value().dump() : "nothing");
    if (!top.has("root")) throw_bad_input("{}: root is missing (root.path names the rootfs)", file);
    read_root(top["root"], bundle, config);
    if (top.has("process")) read_process(top["process"], config);
    if (top.has("hostname")) config.hostname = top["hostname"].string();
    if (top.has("mounts")) read_mounts(top["mounts"], config);
    if (top.has("linux")) read_linux(top["linux"], config);
    if (!config.hostname.empty() && !(config.namespaces & CLONE_NEWUTS))
        throw_bad_input("{}: hostname needs a uts namespace in linux.namespaces", file);
    if (!std::any_of(config.env.begin(), config.env.end(), [](const std::string& v) { return v.starts_with("HOME="); }))
        config.env.push_back(config.uid == 0 ? "HOME=/root" : "HOME=/");  // as runc does
    return config;
}

ContainerConfig load_oci_bundle(const fs::path& bundle) {
    fs::path file = bundle / "config.json";
    if (!fs::is_directory(bundle)) throw_bad_input("bundle {} is not a directory", bundle.string());
    std::error_code error;
    if (fs::exists(file, error) && !fs::is_regular_file(file, error))  // a directory, or a FIFO that would block
        throw_bad_input("{}: is not a regular file (an OCI bundle's config.json is a JSON file)", file.string());
    std::ifstream stream(file);
    if (!stream)
        throw_bad_input("{}: cannot be read (an OCI bundle has a config.json; `runc spec` writes one)", file.string());
    std::stringstream text;
    text << stream.rdbuf();
    return parse_oci_config(text.str(), fs::absolute(bundle), file.string());
}

}  // namespace glassvm::container
