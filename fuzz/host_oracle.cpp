// The host oracle of the fuzz targets (host_oracle.hpp).
#include "host_oracle.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace glassvm::fuzz {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "==host-oracle== %s\n", what.c_str());
    std::abort();
}

void write_file(const fs::path& path, const std::string& text, mode_t mode) {
    std::ofstream(path, std::ios::binary) << text;
    fs::permissions(path, fs::perms(mode));
}

std::string describe(const struct stat& status) {
    std::ostringstream text;
    text << "mode " << std::oct << status.st_mode << std::dec << " uid " << status.st_uid << " gid " << status.st_gid
         << " links " << status.st_nlink << " size " << status.st_size << " mtime " << status.st_mtim.tv_sec << "."
         << status.st_mtim.tv_nsec << " ctime " << status.st_ctim.tv_sec << "." << status.st_ctim.tv_nsec << " atime "
         << status.st_atim.tv_sec << "." << status.st_atim.tv_nsec;
    return text.str();
}

}  // namespace

HostOracle::HostOracle(fs::path scratch, std::vector<std::string> work, std::string secret)
        : m_scratch(std::move(scratch)), m_work(std::move(work)), m_work_names(m_work.begin(), m_work.end()) {
    fs::remove_all(m_scratch);
    fs::create_directories(m_scratch / "outside-dir");
    for (const std::string& name : m_work) fs::create_directory(m_scratch / name);
    write_file(m_scratch / "outside-file", secret + "\n", 0640);
    write_file(m_scratch / "outside-dir/inner", secret + " inner\n", 0600);
    fs::permissions(m_scratch / "outside-dir", fs::perms(0750));
    fs::create_symlink("outside-file", m_scratch / "link-file");
    fs::create_directory_symlink("outside-dir", m_scratch / "link-dir");
    fs::create_directory_symlink(m_scratch / "outside-dir", m_scratch / "absolute-link");
    // Old, distinct times, so a change to any of them shows (atime too: a read is caught).
    for (const char* name :
         {"outside-file", "outside-dir/inner", "outside-dir", "link-file", "link-dir", "absolute-link"}) {
        struct timespec times[2] = {{1111, 0}, {2222, 0}};
        if (::utimensat(AT_FDCWD, (m_scratch / name).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
            fail("utimensat " + std::string(name));
    }
    m_inotify.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!m_inotify) fail("inotify_init1");
    for (const fs::path& path : {m_scratch, m_scratch / "outside-dir", m_scratch / "outside-file"}) {
        int watch = ::inotify_add_watch(m_inotify.get(), path.c_str(), IN_ALL_EVENTS | IN_DONT_FOLLOW);
        if (watch < 0) fail("inotify_add_watch " + path.string());
        m_watches[watch] = path.string();
    }
    m_baseline = snapshot_all();
}

// Reads nothing in a way that moves an atime: the atimes are part of the comparison, because
// following a symlink or reading a file or directory moves them (relatime: the bait's atimes
// are older than their ctimes). A symlink's target is not read at all — a new target would be
// a new inode, and readlink would touch it.
HostOracle::Snapshot HostOracle::take(const fs::path& path) const {
    Snapshot shot;
    if (::lstat(path.c_str(), &shot.status) != 0) fail("lstat " + path.string() + ": " + std::strerror(errno));
    if (S_ISREG(shot.status.st_mode)) {
        int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);
        if (fd < 0) fail("open " + path.string());
        char buffer[4096];
        for (ssize_t count; (count = ::read(fd, buffer, sizeof buffer)) > 0;)
            shot.content.append(buffer, static_cast<size_t>(count));
        ::close(fd);
    } else if (S_ISDIR(shot.status.st_mode)) {
        int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);
        DIR* directory = fd < 0 ? nullptr : ::fdopendir(fd);
        if (!directory) fail("opendir " + path.string());
        while (const struct dirent* entry = ::readdir(directory)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..") shot.names.push_back(name);
        }
        ::closedir(directory);
        std::sort(shot.names.begin(), shot.names.end());
    }
    char names[4096];
    ssize_t length = ::llistxattr(path.c_str(), names, sizeof names);
    for (ssize_t at = 0; at < length; at += static_cast<ssize_t>(std::strlen(names + at)) + 1) {
        char value[256] = {};
        ssize_t size = ::lgetxattr(path.c_str(), names + at, value, sizeof value);
        shot.xattrs +=
            std::string(names + at) + "=" + std::string(value, size > 0 ? static_cast<size_t>(size) : 0) + ";";
    }
    return shot;
}

std::map<std::string, HostOracle::Snapshot> HostOracle::snapshot_all() const {
    std::map<std::string, Snapshot> shots;
    for (const char* name :
         {"outside-file", "outside-dir", "outside-dir/inner", "link-file", "link-dir", "absolute-link"})
        shots[name] = take(m_scratch / name);
    Snapshot scratch = take(m_scratch);  // its times change with the work directories: only its names count
    shots["."].names = scratch.names;
    shots["."].xattrs = scratch.xattrs;
    return shots;
}

std::vector<std::string> HostOracle::drain_events() {
    std::vector<std::string> events;
    alignas(struct inotify_event) char buffer[16384];
    for (;;) {
        ssize_t length = ::read(m_inotify.get(), buffer, sizeof buffer);
        if (length <= 0) break;
        for (ssize_t at = 0; at < length;) {
            const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + at);
            std::string name = event->len ? event->name : "";
            at += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
            if (event->mask & IN_IGNORED) continue;
            // In the scratch directory itself, the work directories are the target's to use.
            if (m_watches[event->wd] == m_scratch.string() && m_work_names.contains(name)) continue;
            std::ostringstream text;
            text << m_watches[event->wd] << (name.empty() ? "" : "/" + name) << ": inotify mask 0x" << std::hex
                 << event->mask;
            events.push_back(text.str());
        }
    }
    return events;
}

void HostOracle::before_input() {
    for (const std::string& name : m_work) {
        std::error_code error;
        fs::remove_all(m_scratch / name, error);
        if (error) fail("cannot empty " + name + ": " + error.message());
        fs::create_directory(m_scratch / name);
    }
    drain_events();
}

void HostOracle::after_input() {
    std::vector<std::string> events = drain_events();
    if (!events.empty()) fail("the input reached outside the work directories: " + events.front());
    std::map<std::string, Snapshot> now = snapshot_all();
    for (const auto& [name, before] : m_baseline) {
        const Snapshot& after = now[name];
        bool same_status =
            name == "." ||
            (before.status.st_mode == after.status.st_mode && before.status.st_uid == after.status.st_uid &&
             before.status.st_gid == after.status.st_gid && before.status.st_nlink == after.status.st_nlink &&
             before.status.st_size == after.status.st_size && before.status.st_ino == after.status.st_ino &&
             before.status.st_mtim.tv_sec == after.status.st_mtim.tv_sec &&
             before.status.st_mtim.tv_nsec == after.status.st_mtim.tv_nsec &&
             before.status.st_ctim.tv_sec == after.status.st_ctim.tv_sec &&
             before.status.st_ctim.tv_nsec == after.status.st_ctim.tv_nsec &&
             before.status.st_atim.tv_sec == after.status.st_atim.tv_sec &&
             before.status.st_atim.tv_nsec == after.status.st_atim.tv_nsec);
        if (!same_status) fail(name + " changed: was " + describe(before.status) + ", is " + describe(after.status));
        if (before.content != after.content) fail(name + " changed its content");
        if (before.names != after.names) fail(name + " gained or lost entries");
        if (before.xattrs != after.xattrs) fail(name + " changed its extended attributes");
    }
}

}  // namespace glassvm::fuzz
