// The defaults of `glassvm box run`: runc's `runc spec` layout with Docker's capability set.
#include "container/container_config.hpp"

#include <sched.h>

#include <cstdlib>

#include "container/capabilities.hpp"

namespace glassvm::container {

int default_namespaces() {
    return CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
}

ContainerConfig default_container_config() {
    ContainerConfig config;
    config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"};
    if (const char* term = std::getenv("TERM")) config.env.push_back(std::string("TERM=") + term);
    config.namespaces = default_namespaces();
    config.hostname = "glassvm-box";
    // What `runc spec` mounts, except devpts's gid=5 (a tty group the box may not have, and
    // that a one-id user namespace cannot map), and a /dev that is also nodev and noexec: runc
    // mknods device nodes into its /dev, glassvm binds each allowed node from the host
    // (mounts.cpp), and a bind mount keeps the host's flags, so the tmpfs under them needs to
    // hold neither devices nor programs. A node a workload makes there cannot be opened.
    config.mounts = {
        {"/proc", "proc", "proc", {"nosuid", "nodev", "noexec"}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "nodev", "noexec", "strictatime", "mode=755", "size=65536k"}},
        {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
        {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
        {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
        {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
    };
    // Also runc's: kernel files that leak host information or let root poke the host kernel.
    config.masked_paths = {"/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
                           "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                           "/sys/firmware",       "/proc/scsi"};
    config.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    config.capabilities = default_capability_sets();
    config.no_new_privileges = true;
    return config;
}

}  // namespace glassvm::container
