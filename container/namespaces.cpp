// Namespaces: the flag table, clone into new namespaces, user-namespace id maps, glassvm's own
// private mount namespace.
#include "container/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::container {

namespace {

struct NamespaceName {
    std::string_view oci_type;   // config.json spelling
    std::string_view proc_name;  // /proc/PID/ns spelling
    int flag;
};

constexpr std::array<NamespaceName, 7> kNamespaces = {{
    {"pid", "pid", CLONE_NEWPID},
    {"mount", "mnt", CLONE_NEWNS},
    {"uts", "uts", CLONE_NEWUTS},
    {"ipc", "ipc", CLONE_NEWIPC},
    {"network", "net", CLONE_NEWNET},
    {"cgroup", "cgroup", CLONE_NEWCGROUP},
    {"user", "user", CLONE_NEWUSER},
}};

std::string map_text(const std::vector<IdMapping>& mappings, uint32_t own_id) {
    if (mappings.empty()) return fmt::format("0 {} 1\n", own_id);
    std::string text;
    for (const IdMapping& m : mappings) text += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
    return text;
}

void write_proc_file(pid_t child, std::string_view name, const std::string& text) {
    std::string path = fmt::format("/proc/{}/{}", child, name);
    int fd = check_syscall(fmt::format("open {}", path), ::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    ssize_t written = ::write(fd, text.data(), text.size());
    int saved = errno;
    ::close(fd);
    if (written != static_cast<ssize_t>(text.size()))
        throw Error::from_errno(fmt::format("write {} ({})", path, text.substr(0, text.find('\n'))), saved);
}

}  // namespace

std::optional<int> namespace_flag(std::string_view oci_type) {
    for (const NamespaceName& ns : kNamespaces)
        if (ns.oci_type == oci_type) return ns.flag;
    return std::nullopt;
}

std::string describe_namespaces(int flags) {
    std::string text;
    for (const NamespaceName& ns : kNamespaces) {
        if (!(flags & ns.flag)) continue;
        if (!text.empty()) text += ' ';
        text += ns.proc_name;
    }
    return text;
}

pid_t clone_into_namespaces(int flags) {
    // The raw system call with no new stack behaves like fork(): the child continues here on
    // a copy-on-write copy of this stack. (glassvm's box path is single-threaded.)
    long pid = ::syscall(SYS_clone, static_cast<unsigned long>(flags | SIGCHLD), nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) throw Error::from_errno(fmt::format("clone ({})", describe_namespaces(flags)), errno);
    return static_cast<pid_t>(pid);
}

void write_id_maps(pid_t child, const std::vector<IdMapping>& uid_mappings,
                   const std::vector<IdMapping>& gid_mappings) {
    if (::geteuid() != 0) write_proc_file(child, "setgroups", "deny");
    write_proc_file(child, "uid_map", map_text(uid_mappings, ::geteuid()));
    write_proc_file(child, "gid_map", map_text(gid_mappings, ::getegid()));
}

void enter_cgroup_namespace() { check_syscall("unshare CLONE_NEWCGROUP", ::unshare(CLONE_NEWCGROUP)); }

void enter_private_mount_namespace() {
    check_syscall("unshare CLONE_NEWNS", ::unshare(CLONE_NEWNS));
    check_syscall("mount --make-rslave /", ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr));
}

}  // namespace glassvm::container
