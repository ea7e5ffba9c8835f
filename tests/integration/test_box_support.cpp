// The box tests' shared helpers: see test_box_support.hpp.
#include "test_box_support.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/fd.hpp"

namespace glassvm::test {

namespace fs = std::filesystem;

namespace {

fs::file_time_type modified(const fs::path& path) {
    std::error_code error;
    auto time = fs::last_write_time(path, error);
    return error ? fs::file_time_type::min() : time;
}

}  // namespace

void require_root() {
    if (::geteuid() == 0) return;
    std::printf("SKIPPED: glassvm box tests create namespaces and cgroups and need root (euid is %d)\n", ::geteuid());
    std::fflush(stdout);
    std::_Exit(77);
}

std::string source_path(const std::string& relative) {
    // This file is tests/integration/test_box_support.cpp in the source tree.
    return (fs::path(__FILE__).parent_path().parent_path().parent_path() / relative).string();
}

std::string box_rootfs() {
    static std::string rootfs = [] {
        fs::path root = build_path("box-test-rootfs");
        fs::path stamp = root / ".made";
        // Owned, so a throw below releases the lock: the next call (the static is still unset)
        // would otherwise wait on this process's own leaked lock for ever.
        Fd lock(::open(build_path("box-test-rootfs.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644));
        if (!lock || ::flock(lock.get(), LOCK_EX) != 0) throw std::runtime_error("cannot lock the test rootfs");
        auto made = modified(stamp);
        if (made < modified(build_path("workloads/probe")) ||
            made < modified(build_path("container/isolation-check"))) {
            std::string command = "GLASSVM_BUILD='" + build_path("") + "' '" + source_path("scripts/make-rootfs") +
                                  "' '" + root.string() + "' >/dev/null && touch '" + stamp.string() + "'";
            if (std::system(command.c_str()) != 0) throw std::runtime_error("scripts/make-rootfs failed: " + command);
            ::chmod(root.c_str(), 0755);  // the rootless test runs as nobody
        }
        return root.string();
    }();
    return rootfs;
}

ProcessResult run_box(const std::vector<std::string>& options, const std::vector<std::string>& command,
                      std::chrono::milliseconds timeout) {
    std::vector<std::string> argv = {build_path("glassvm"), "box", "run", "--rootfs", box_rootfs()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
    return run_process(argv, {}, timeout);
}

ProcessResult box_shell(const std::string& script, const std::vector<std::string>& options) {
    return run_box(options, {"sh", "-c", script});
}

std::string host_mountinfo() {
    std::ifstream file("/proc/self/mountinfo");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

std::string find_box_cgroup(const std::string& name) {
    std::error_code error;
    fs::recursive_directory_iterator it("/sys/fs/cgroup", fs::directory_options::skip_permission_denied, error), end;
    for (; !error && it != end; it.increment(error)) {
        if (it.depth() > 4) it.disable_recursion_pending();
        if (it->path().filename() == name && fs::exists(it->path() / "cgroup.procs")) return it->path().string();
    }
    return {};
}

}  // namespace glassvm::test
