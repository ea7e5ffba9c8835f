// Mounts: option parsing, safe destinations, the mount list, /dev, masked and read-only paths.
#include "container/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::container {

namespace fs = std::filesystem;

namespace {

struct FlagOption {
    std::string_view name;
    unsigned long flag;
    bool clear;  // "rw" clears MS_RDONLY, …
};

constexpr std::array<FlagOption, 24> kFlagOptions = {{
    {"ro", MS_RDONLY, false},
    {"rw", MS_RDONLY, true},
    {"nosuid", MS_NOSUID, false},
    {"suid", MS_NOSUID, true},
    {"nodev", MS_NODEV, false},
    {"dev", MS_NODEV, true},
    {"noexec", MS_NOEXEC, false},
    {"exec", MS_NOEXEC, true},
    {"sync", MS_SYNCHRONOUS, false},
    {"async", MS_SYNCHRONOUS, true},
    {"dirsync", MS_DIRSYNC, false},
    {"remount", MS_REMOUNT, false},
    {"noatime", MS_NOATIME, false},
    {"atime", MS_NOATIME, true},
    {"nodiratime", MS_NODIRATIME, false},
    {"diratime", MS_NODIRATIME, true},
    {"relatime", MS_RELATIME, false},
    {"norelatime", MS_RELATIME, true},
    {"strictatime", MS_STRICTATIME, false},
    {"nostrictatime", MS_STRICTATIME, true},
    {"bind", MS_BIND, false},
    {"rbind", MS_BIND | MS_REC, false},
    {"mand", MS_MANDLOCK, false},
    {"nomand", MS_MANDLOCK, true},
}};

constexpr std::array<std::pair<std::string_view, unsigned long>, 8> kPropagationOptions = {{
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

constexpr std::string_view kDeviceNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

// The flags a mount already has that a remount must repeat.
unsigned long current_flags(const fs::path& path) {
    struct statvfs info {};
    check_syscall(fmt::format("statvfs {}", path.string()), ::statvfs(path.c_str(), &info));
    unsigned long flags = 0;
    if (info.f_flag & ST_RDONLY) flags |= MS_RDONLY;
    if (info.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (info.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (info.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (info.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (info.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (info.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    return flags;
}

void do_mount(const std::string& source, const fs::path& target, const std::string& type, unsigned long flags,
              const std::string& data) {
    int rc = ::mount(source.empty() ? nullptr : source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(),
                     flags, data.empty() ? nullptr : data.c_str());
    check_syscall(fmt::format("mount {} on {}", type.empty() ? source : type, target.string()), rc);
}

// Creates an empty file at `path` (a bind target for a file source) unless something is there.
void ensure_file(const fs::path& path) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno != EEXIST && errno != EISDIR && errno != ETXTBSY)
        throw Error::from_errno(fmt::format("create {}", path.string()), errno);
    if (fd >= 0) ::close(fd);
}

fs::path bind_target(const fs::path& root, const std::string& destination, const fs::path& source) {
    if (fs::is_directory(source)) return path_in_root(root, destination);
    fs::path parent = path_in_root(root, fs::path(destination).parent_path().string());
    fs::path target = parent / fs::path(destination).filename();
    ensure_file(target);
    return target;
}

void mount_bind(const fs::path& root, const MountSpec& spec, const MountOptions& options, const MountContext& context) {
    fs::path source = spec.source;
    if (source.is_relative()) source = context.bundle / source;
    if (!fs::exists(source))
        throw_bad_input("mount {}: bind source {} does not exist", spec.destination, source.string());
    fs::path target = bind_target(root, spec.destination, source);
    do_mount(source, target, "", MS_BIND | (options.flags & MS_REC), "");
    unsigned long extra = options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra != 0) remount_bind(target, extra);
}

// The box's own cgroup directories, read-only: one bind on v2, a tmpfs of per-tree binds on v1.
void mount_cgroups(const fs::path& root, const MountSpec& spec, const MountOptions& options,
                   const MountContext& context) {
    fs::path target = path_in_root(root, spec.destination);
    unsigned long flags = (options.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) | MS_RDONLY;
    bool unified = context.cgroup_sources.size() == 1 && context.cgroup_sources[0].first.empty();
    if (unified) {
        do_mount(context.cgroup_sources[0].second, target, "", MS_BIND, "");
        remount_bind(target, flags);
        return;
    }
    do_mount("tmpfs", target, "tmpfs", flags & ~MS_RDONLY, "mode=755");
    for (const auto& [name, directory] : context.cgroup_sources) {
        fs::path tree = target / name;
        check_syscall(fmt::format("mkdir {}", tree.string()), ::mkdir(tree.c_str(), 0755));
        do_mount(directory, tree, "", MS_BIND, "");
        remount_bind(tree, flags);
    }
    do_mount("", target, "", MS_REMOUNT | flags, "mode=755");
}

void mount_one(const fs::path& root, const MountSpec& spec, const MountContext& context) {
    MountOptions options = parse_mount_options(spec.options);
    if (spec.type == "bind" || options.bind()) {
        mount_bind(root, spec, options, context);
    } else if (spec.type == "cgroup" || spec.type == "cgroup2") {
        mount_cgroups(root, spec, options, context);
    } else {
        fs::path target = path_in_root(root, spec.destination);
        do_mount(spec.source, target, spec.type, options.flags, options.data);
    }
    if (options.propagation != 0) do_mount("", path_in_root(root, spec.destination), "", options.propagation, "");
}

}  // namespace

bool MountOptions::bind() const { return (flags & MS_BIND) != 0; }

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions result;
    for (const std::string& option : options) {
        auto flag = std::find_if(kFlagOptions.begin(), kFlagOptions.end(),
                                 [&](const FlagOption& f) { return f.name == option; });
        if (flag != kFlagOptions.end()) {
            if (flag->clear)
                result.flags &= ~flag->flag;
            else
                result.flags |= flag->flag;
            continue;
        }
        auto propagation = std::find_if(kPropagationOptions.begin(), kPropagationOptions.end(),
                                        [&](const auto& p) { return p.first == option; });
        if (propagation != kPropagationOptions.end()) {
            result.propagation = propagation->second;
            continue;
        }
        if (!result.data.empty()) result.data += ',';
        result.data += option;
    }
    return result;
}

fs::path path_in_root(const fs::path& root, const std::string& destination) {
    fs::path relative(destination);
    if (!relative.is_absolute()) throw_bad_input("mount destination '{}' is not an absolute path", destination);
    fs::path path = root;
    for (const fs::path& part : relative.relative_path()) {
        if (part == "..") throw_bad_input("mount destination '{}' contains '..'", destination);
        if (part == "." || part.empty()) continue;
        path /= part;
        struct stat info {};
        if (::lstat(path.c_str(), &info) == 0) {
            if (S_ISLNK(info.st_mode))
                throw_bad_input("mount destination '{}': {} is a symlink in the rootfs; glassvm does not follow it",
                                destination, path.string());
            continue;
        }
        if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
            throw Error::from_errno(fmt::format("mkdir {}", path.string()), errno);
    }
    return path;
}

void mount_all(const fs::path& root, const std::vector<MountSpec>& mounts, const MountContext& context) {
    for (const MountSpec& spec : mounts) mount_one(root, spec, context);
}

void create_device_nodes(const fs::path& root) {
    fs::path dev = path_in_root(root, "/dev");
    for (std::string_view name : kDeviceNodes) {
        fs::path host = fs::path("/dev") / name;
        fs::path node = dev / name;
        ensure_file(node);
        do_mount(host, node, "", MS_BIND, "");
    }
    const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},
                                                         {"/proc/self/fd/0", "stdin"},
                                                         {"/proc/self/fd/1", "stdout"},
                                                         {"/proc/self/fd/2", "stderr"},
                                                         {"pts/ptmx", "ptmx"}};
    for (const auto& [target, name] : links) {
        if (std::string_view(name) == "ptmx" && !fs::exists(dev / "pts" / "ptmx")) continue;
        if (::symlink(target, (dev / name).c_str()) != 0 && errno != EEXIST)
            throw Error::from_errno(fmt::format("symlink {}", (dev / name).string()), errno);
    }
}

void mask_paths(const fs::path& root, const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
        fs::path target = root / fs::path(path).relative_path();
        std::error_code error;
        if (!fs::exists(target, error)) continue;
        if (fs::is_directory(target, error)) {
            do_mount("tmpfs", target, "tmpfs", MS_RDONLY, "");
        } else {
            do_mount("/dev/null", target, "", MS_BIND, "");
        }
    }
}

void make_paths_readonly(const fs::path& root, const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
        fs::path target = root / fs::path(path).relative_path();
        std::error_code error;
        if (!fs::exists(target, error)) continue;
        do_mount(target, target, "", MS_BIND | MS_REC, "");
        remount_bind(target, MS_RDONLY);
    }
}

void remount_bind(const fs::path& path, unsigned long flags) {
    do_mount("", path, "", MS_REMOUNT | MS_BIND | current_flags(path) | flags, "");
}

}  // namespace glassvm::container
