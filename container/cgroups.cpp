// Cgroups: finding the trees, creating the box's cgroup, writing limits, reading what happened,
// and removing it again (also after a glassvm that was killed).
#include "container/cgroups.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "container/device_policy.hpp"

namespace glassvm::container {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kNamePrefix = "glassvm-box-";
// The controllers a box uses: the three the issue limits, and devices (v1) for /dev.
constexpr std::string_view kWantedControllers[] = {"memory", "pids", "cpu", "devices"};

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(separator, start);
        if (end == std::string_view::npos) end = text.size();
        parts.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            int value = (text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0');
            out += static_cast<char>(value);
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

bool is_controller_option(const std::string& option) {
    static const std::set<std::string> not_controllers = {"rw",
                                                          "ro",
                                                          "xattr",
                                                          "noprefix",
                                                          "clone_children",
                                                          "cpuset_v2_mode",
                                                          "favordynmods",
                                                          "nsdelegate",
                                                          "memory_recursiveprot",
                                                          "memory_localevents",
                                                          "memory_hugetlb_accounting"};
    if (option.starts_with("name=")) return true;  // a named tree, e.g. name=systemd
    return option.find('=') == std::string::npos && !not_controllers.contains(option);
}

std::vector<std::string> sorted(std::vector<std::string> values) {
    std::sort(values.begin(), values.end());
    return values;
}

}  // namespace

std::string read_cgroup_text(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

void write_cgroup_file(const fs::path& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error::from_errno(fmt::format("open {}", path.string()), errno);
    ssize_t written = ::write(fd, value.data(), value.size());
    int saved = errno;
    ::close(fd);
    if (written != static_cast<ssize_t>(value.size()))
        throw Error::from_errno(fmt::format("write '{}' to {}", value, path.string()), saved);
}

std::optional<fs::path> cgroup_directory(const CgroupMount& mount, const CgroupMembership& membership) {
    bool same_tree =
        mount.version == CgroupVersion::V2
            ? membership.controllers.empty()
            : !membership.controllers.empty() && sorted(membership.controllers) == sorted(mount.controllers);
    std::string root = mount.root == "/" ? "" : mount.root;
    if (!same_tree || !membership.path.starts_with(root)) return std::nullopt;
    return (mount.mount_point / fs::path(membership.path.substr(root.size())).relative_path()).lexically_normal();
}

namespace {

bool process_is_glassvm(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    std::string comm = read_cgroup_text(fmt::format("/proc/{}/comm", pid));
    return comm.starts_with("glassvm");
}

}  // namespace

std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo) {
    std::vector<CgroupMount> mounts;
    for (const std::string& line : split(mountinfo, '\n')) {
        std::vector<std::string> fields = split(line, ' ');
        auto dash = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 7 || dash == fields.end() || fields.end() - dash < 4) continue;
        const std::string& fstype = *(dash + 1);
        if (fstype != "cgroup" && fstype != "cgroup2") continue;
        CgroupMount mount;
        mount.version = fstype == "cgroup2" ? CgroupVersion::V2 : CgroupVersion::V1;
        mount.root = unescape_octal(fields[3]);
        mount.mount_point = unescape_octal(fields[4]);
        if (mount.version == CgroupVersion::V1)
            for (const std::string& option : split(*(dash + 3), ','))
                if (is_controller_option(option)) mount.controllers.push_back(option);
        mounts.push_back(std::move(mount));
    }
    return mounts;
}

std::vector<CgroupMembership> parse_proc_cgroup(std::string_view text) {
    std::vector<CgroupMembership> memberships;
    for (const std::string& line : split(text, '\n')) {
        size_t first = line.find(':');
        size_t second = first == std::string::npos ? first : line.find(':', first + 1);
        if (second == std::string::npos) continue;
        CgroupMembership membership;
        std::string controllers = line.substr(first + 1, second - first - 1);
        if (!controllers.empty()) membership.controllers = split(controllers, ',');
        membership.path = line.substr(second + 1);
        memberships.push_back(std::move(membership));
    }
    return memberships;
}

std::vector<CgroupFileWrite> limit_writes(const ResourceLimits& limits, CgroupVersion version) {
    std::vector<CgroupFileWrite> writes;
    bool v1 = version == CgroupVersion::V1;
    if (limits.memory_bytes) {
        std::string bytes = std::to_string(*limits.memory_bytes);
        // Swap counts too (memsw is memory + swap on v1; swap.max is swap alone on v2): a box
        // over its limit is OOM-killed instead of quietly swapping.
        if (v1) {
            writes.push_back({"memory", "memory.limit_in_bytes", bytes});
            writes.push_back({"memory", "memory.memsw.limit_in_bytes", bytes, true});
        } else {
            writes.push_back({"memory", "memory.max", bytes});
            writes.push_back({"memory", "memory.swap.max", "0", true});
        }
    }
    if (limits.pids) writes.push_back({"pids", "pids.max", std::to_string(*limits.pids)});
    if (limits.cpu) {
        if (v1) {
            writes.push_back({"cpu", "cpu.cfs_period_us", std::to_string(limits.cpu->period_us)});
            writes.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(limits.cpu->quota_us)});
        } else {
            writes.push_back({"cpu", "cpu.max", fmt::format("{} {}", limits.cpu->quota_us, limits.cpu->period_us)});
        }
    }
    // The device allow-list (device_policy.hpp). v1: "deny all" must take, or the box would
    // keep every device; an allow line a parent cgroup refuses only leaves that device denied.
    // v2 has no files for it: BoxCgroup::create attaches a BPF program instead.
    if (limits.restrict_devices && v1) {
        writes.push_back({"devices", "devices.deny", "a"});
        for (const DeviceRule& rule : allowed_devices())
            writes.push_back({"devices", "devices.allow", device_rule_text(rule), true});
    }
    return writes;
}

uint64_t parse_oom_kills(std::string_view file_text) {
    for (const std::string& line : split(file_text, '\n')) {
        if (line.starts_with("oom_kill ")) return std::stoull(line.substr(9));
    }
    return 0;
}

BoxCgroup& BoxCgroup::operator=(BoxCgroup&& other) noexcept {
    if (this != &other) {
        remove();
        m_directories = std::exchange(other.m_directories, {});
    }
    return *this;
}

const BoxCgroup::Directory* BoxCgroup::directory_for(std::string_view controller) const {
    for (const Directory& directory : m_directories)
        if (std::find(directory.controllers.begin(), directory.controllers.end(), controller) !=
            directory.controllers.end())
            return &directory;
    return nullptr;
}

namespace {

// Where each wanted controller lives for this process: (version, tree name, parent directory
// of the box's cgroup, controllers there).
struct Placement {
    CgroupVersion version;
    std::string hierarchy;
    fs::path parent;
    std::vector<std::string> controllers;
};

std::optional<fs::path> directory_in_mount(const CgroupMount& mount, const std::string& path) {
    std::string root = mount.root == "/" ? "" : mount.root;
    if (!path.starts_with(root)) return std::nullopt;
    std::string relative = path.substr(root.size());
    while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
    return mount.mount_point / relative;
}

std::vector<Placement> find_placements() {
    std::vector<CgroupMount> mounts = parse_cgroup_mounts(read_cgroup_text("/proc/self/mountinfo"));
    std::vector<CgroupMembership> memberships = parse_proc_cgroup(read_cgroup_text("/proc/self/cgroup"));
    std::vector<Placement> placements;
    std::vector<std::string> for_v2;
    for (std::string_view wanted : kWantedControllers) {
        bool found = false;
        for (const CgroupMount& mount : mounts) {
            if (mount.version != CgroupVersion::V1 ||
                std::find(mount.controllers.begin(), mount.controllers.end(), wanted) == mount.controllers.end())
                continue;
            found = true;  // bound to a v1 tree: v2 cannot have it
            for (const CgroupMembership& membership : memberships) {
                if (sorted(membership.controllers) != sorted(mount.controllers)) continue;
                auto parent = directory_in_mount(mount, membership.path);
                if (!parent) continue;
                bool known = std::any_of(placements.begin(), placements.end(),
                                         [&](const Placement& p) { return p.parent == *parent; });
                if (!known)
                    placements.push_back({CgroupVersion::V1, mount.mount_point.filename(), *parent, mount.controllers});
            }
            break;
        }
        if (!found) for_v2.emplace_back(wanted);
    }
    auto v2_mount =
        std::find_if(mounts.begin(), mounts.end(), [](const CgroupMount& m) { return m.version == CgroupVersion::V2; });
    auto v2_membership = std::find_if(memberships.begin(), memberships.end(),
                                      [](const CgroupMembership& m) { return m.controllers.empty(); });
    if (for_v2.empty() || v2_mount == mounts.end() || v2_membership == memberships.end()) return placements;
    auto own = directory_in_mount(*v2_mount, v2_membership->path);
    if (!own) return placements;
    // cgroup v2's "no internal processes" rule: glassvm's own cgroup holds glassvm, so the box
    // cannot get controllers below it; it becomes a sibling instead (below the root, a child).
    bool at_root = fs::weakly_canonical(*own) == fs::weakly_canonical(v2_mount->mount_point);
    fs::path parent = at_root ? *own : own->parent_path();
    std::vector<std::string> available =
        split(read_cgroup_text(at_root ? parent / "cgroup.controllers" : *own / "cgroup.controllers"), ' ');
    for (std::string& name : available)
        while (!name.empty() && (name.back() == '\n')) name.pop_back();
    // "devices" is no controller on v2 (so never in cgroup.controllers): its policy is a BPF
    // program any v2 cgroup can carry. A box therefore always gets a v2 cgroup when devices
    // are not on a v1 tree, even where no controller is delegated to glassvm.
    std::vector<std::string> usable;
    for (const std::string& name : for_v2)
        if (name == "devices" || std::find(available.begin(), available.end(), name) != available.end())
            usable.push_back(name);
    if (usable.empty()) return placements;
    if (at_root)
        for (const std::string& name : usable) {
            if (name == "devices") continue;
            try {
                write_cgroup_file(parent / "cgroup.subtree_control", "+" + name);
            } catch (const Error&) {
                // Already enabled, or not ours to enable: the limit write below will tell.
            }
        }
    placements.push_back({CgroupVersion::V2, "", parent, usable});
    return placements;
}

// Which option asked for a controller, for errors.
std::string_view option_for(std::string_view controller) {
    if (controller == "memory") return "--memory (linux.resources.memory.limit)";
    if (controller == "pids") return "--pids (linux.resources.pids.limit)";
    if (controller == "cpu") return "--cpus (linux.resources.cpu)";
    return controller;
}

bool limit_needs(const ResourceLimits& limits, std::string_view controller) {
    if (controller == "memory") return limits.memory_bytes.has_value();
    if (controller == "pids") return limits.pids.has_value();
    if (controller == "cpu") return limits.cpu.has_value();
    return false;
}

}  // namespace

BoxCgroup BoxCgroup::create(const std::string& name, const ResourceLimits& limits) {
    BoxCgroup cgroup;
    std::vector<Placement> placements = find_placements();
    for (std::string_view controller : kWantedControllers) {
        bool placed = std::any_of(placements.begin(), placements.end(), [&](const Placement& p) {
            return std::find(p.controllers.begin(), p.controllers.end(), controller) != p.controllers.end();
        });
        if (!placed && limit_needs(limits, controller))
            throw Error(ErrorKind::System, fmt::format("{}: this host has no {} cgroup controller glassvm can use",
                                                       option_for(controller), controller));
    }
    for (const Placement& placement : placements) {
        remove_stale_box_cgroups(placement.parent);
        fs::path path = placement.parent / name;
        if (::mkdir(path.c_str(), 0755) != 0) {
            int error = errno;
            for (const std::string& controller : placement.controllers)
                if (limit_needs(limits, controller))
                    throw Error(ErrorKind::System,
                                fmt::format("{} needs a cgroup: mkdir {}: {}{}", option_for(controller), path.string(),
                                            std::strerror(error),
                                            ::geteuid() != 0
                                                ? " (a rootless box gets limits only in a cgroup delegated to its user)"
                                                : ""),
                                error);
            if (error == EACCES || error == EPERM || error == EROFS) continue;  // rootless, no limit asked
            throw Error::from_errno(fmt::format("mkdir {}", path.string()), error);
        }
        cgroup.m_directories.push_back({placement.version, placement.hierarchy, placement.controllers, path});
    }
    for (const Directory& directory : cgroup.m_directories) {
        for (const CgroupFileWrite& write : limit_writes(limits, directory.version)) {
            if (std::find(directory.controllers.begin(), directory.controllers.end(), write.controller) ==
                directory.controllers.end())
                continue;
            fs::path file = directory.path / write.file;
            if (write.optional && !fs::exists(file)) continue;
            try {
                write_cgroup_file(file, write.value);
            } catch (const Error&) {
                if (!write.optional) throw;
            }
        }
        bool devices_here = std::find(directory.controllers.begin(), directory.controllers.end(), "devices") !=
                            directory.controllers.end();
        if (limits.restrict_devices && devices_here && directory.version == CgroupVersion::V2) {
            try {
                attach_device_filter(directory.path, allowed_devices());
            } catch (const Error& error) {
                // A rootless box in a cgroup delegated to its user may not load BPF; its user
                // namespace cannot mknod a device, and opens are the host's permission checks.
                if (::geteuid() == 0 || error.error_number() != EPERM) throw;
            }
        }
    }
    return cgroup;
}

void BoxCgroup::add_process(pid_t pid) const {
    for (const Directory& directory : m_directories)
        write_cgroup_file(directory.path / "cgroup.procs", std::to_string(pid));
}

uint64_t BoxCgroup::oom_kills() const {
    const Directory* memory = directory_for("memory");
    if (!memory) return 0;
    return parse_oom_kills(read_cgroup_text(
        memory->path / (memory->version == CgroupVersion::V1 ? "memory.oom_control" : "memory.events")));
}

std::optional<uint64_t> BoxCgroup::peak_memory_bytes() const {
    const Directory* memory = directory_for("memory");
    if (!memory) return std::nullopt;
    std::string text = read_cgroup_text(
        memory->path / (memory->version == CgroupVersion::V1 ? "memory.max_usage_in_bytes" : "memory.peak"));
    if (text.empty()) return std::nullopt;
    return std::stoull(text);
}

std::vector<std::pair<std::string, fs::path>> BoxCgroup::mount_sources() const {
    std::vector<std::pair<std::string, fs::path>> sources;
    for (const Directory& directory : m_directories) sources.emplace_back(directory.hierarchy, directory.path);
    return sources;
}

void BoxCgroup::remove() noexcept {
    for (const Directory& directory : m_directories) {
        // The last processes of a box may still be leaving the cgroup: give them a moment.
        for (int attempt = 0;; ++attempt) {
            if (::rmdir(directory.path.c_str()) == 0 || errno == ENOENT) break;
            if (errno != EBUSY || attempt == 200) {
                fmt::print(stderr, "glassvm: box: cannot remove cgroup {}: {} (the next box run retries)\n",
                           directory.path.string(), std::strerror(errno));
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    m_directories.clear();
}

void remove_stale_box_cgroups(const fs::path& parent) {
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(parent, error)) {
        std::string name = entry.path().filename();
        if (!name.starts_with(kNamePrefix) || !entry.is_directory(error)) continue;
        pid_t owner = 0;
        try {
            owner = static_cast<pid_t>(std::stol(name.substr(kNamePrefix.size())));
        } catch (const std::exception&) {
            continue;
        }
        if (owner > 0 && !process_is_glassvm(owner)) ::rmdir(entry.path().c_str());  // fails if in use
    }
}

}  // namespace glassvm::container
