// Finding a daemon box's cgroups and ending everything in them (see box_cgroups.hpp).
#include "daemon/box_cgroups.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "container/cgroups.hpp"

namespace glassvm::daemon {

namespace fs = std::filesystem;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);

// Each cgroup below `directory`, deepest first, then `directory` itself.
std::vector<fs::path> subtree_bottom_up(const fs::path& directory) {
    std::vector<fs::path> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory, error))
        if (entry.is_directory(error)) {
            std::vector<fs::path> below = subtree_bottom_up(entry.path());
            found.insert(found.end(), below.begin(), below.end());
        }
    found.push_back(directory);
    return found;
}

// Kills what is in `cgroup` now; true when nothing was left to kill.
bool kill_members(const fs::path& cgroup) {
    std::string members = container::read_cgroup_text(cgroup / "cgroup.procs");
    if (members.find_first_not_of(" \n") == std::string::npos) return true;
    if (fs::exists(cgroup / "cgroup.kill")) {
        container::write_cgroup_file(cgroup / "cgroup.kill",
                                     "1");  // v2 (Linux 5.14): the kernel kills the whole subtree
        return false;
    }
    // v1 has no cgroup.kill, and the box's cgroups are not in the freezer tree: kill each member,
    // and again until none is left (pids.max bounds what can fork meanwhile; the box's init is
    // its pid namespace's init, whose death ends every process in it).
    std::istringstream pids(members);
    for (pid_t pid = 0; pids >> pid;) ::kill(pid, SIGKILL);
    return false;
}

}  // namespace

std::vector<std::string> box_cgroup_candidates(pid_t box_run) {
    std::string name = fmt::format("glassvm-box-{}", box_run);
    std::vector<container::CgroupMount> mounts =
        container::parse_cgroup_mounts(container::read_cgroup_text("/proc/self/mountinfo"));
    std::vector<std::string> candidates;
    auto add = [&](const fs::path& parent) {
        std::string path = (parent / name).string();
        if (std::find(candidates.begin(), candidates.end(), path) == candidates.end()) candidates.push_back(path);
    };
    for (const container::CgroupMembership& membership :
         container::parse_proc_cgroup(container::read_cgroup_text("/proc/self/cgroup")))
        for (const container::CgroupMount& mount : mounts) {
            auto own = container::cgroup_directory(mount, membership);
            if (!own) continue;
            add(*own);
            add(own->parent_path());
            add(mount.mount_point);
        }
    return candidates;
}

void end_box_cgroups(const std::vector<std::string>& directories, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (const std::string& directory : directories) {
        if (!fs::exists(fs::path(directory) / "cgroup.procs")) continue;
        for (const fs::path& cgroup : subtree_bottom_up(directory)) {
            for (;;) {
                if (kill_members(cgroup)) {
                    // Empty: it can go, once the last processes have left it (until then EBUSY).
                    if (::rmdir(cgroup.c_str()) == 0 || errno == ENOENT) break;
                    if (errno != EBUSY) throw Error::from_errno("rmdir " + cgroup.string(), errno);
                }
                if (std::chrono::steady_clock::now() >= deadline)
                    throw Error(ErrorKind::System,
                                fmt::format("the box's cgroup {} still has processes after SIGKILL", cgroup.string()));
                std::this_thread::sleep_for(kPollInterval);
            }
        }
    }
}

}  // namespace glassvm::daemon
