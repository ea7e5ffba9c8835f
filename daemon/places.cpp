// Where the daemon keeps things: the default API socket path, private (0700) directories.
#include "daemon/places.hpp"

#include <unistd.h>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <cerrno>
#include <cstdlib>
#include "base/error.hpp"
#include "base/fd.hpp"

namespace glassvm::daemon {

std::filesystem::path default_socket_path() {
    const char* socket = std::getenv("GLASSVM_SOCKET");
    if (socket != nullptr && *socket != '\0') return socket;
    if (::geteuid() == 0) return "/run/glassvm/glassvm.sock";
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime != nullptr && *runtime != '\0') return std::filesystem::path(runtime) / "glassvm.sock";
    return "/tmp/glassvm-" + std::to_string(::geteuid()) + "/glassvm.sock";
}

std::filesystem::path socket_path(const std::string& option) {
    return option.empty() ? default_socket_path() : std::filesystem::path(option);
}

void make_private_directory(const std::filesystem::path& directory) {
    if (directory.has_parent_path()) std::filesystem::create_directories(directory.parent_path());
    // mkdir with 0700: the umask can only take bits away, so the directory is never wider, not
    // even for a moment. An existing one keeps its own mode: it is checked and tightened below,
    // through a descriptor (O_NOFOLLOW: a symlink planted in its place is refused, not followed).
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
        throw Error::from_errno("mkdir " + directory.string(), errno);
    Fd fd(check_syscall("open " + directory.string(),
                        ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)));
    struct stat status {};
    check_syscall("fstat " + directory.string(), ::fstat(fd.get(), &status));
    if (status.st_uid != ::geteuid())
        throw_bad_input("{} is owned by uid {}, not by this user (uid {}): refusing to keep private state in it",
                        directory.string(), status.st_uid, ::geteuid());
    if ((status.st_mode & 07777) == 0700) return;
    check_syscall("chmod 0700 " + directory.string(), ::fchmod(fd.get(), 0700));
    fmt::print(stderr, "glassvmd: {} was mode {:04o}; made it 0700 (other users must not reach the daemon's state)\n",
               directory.string(), status.st_mode & 07777);
}

}  // namespace glassvm::daemon
