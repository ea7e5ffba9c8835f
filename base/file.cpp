// Host files: reading a whole file the user named, writing every byte to an fd, and files that
// are replaced atomically (write a temporary, fsync, rename, fsync the directory).
#include "base/file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace glassvm {

namespace {

const char* describe_file_type(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

}  // namespace

std::vector<uint8_t> read_file(const std::string& path, std::string_view role, uint64_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below); it changes
    // nothing for a regular file.
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (raw < 0) throw_bad_input("{} {}: {}", role, path, std::strerror(errno));
    Fd fd(raw);
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) throw_bad_input("{} {}: {}", role, path, std::strerror(errno));
    if (S_ISDIR(status.st_mode)) throw_bad_input("{} {}: is a directory, not a file", role, path);
    if (!S_ISREG(status.st_mode))
        throw_bad_input("{} {}: is {}, not a regular file", role, path, describe_file_type(status.st_mode));
    if (static_cast<uint64_t>(status.st_size) > max_bytes)
        throw_bad_input("{} {}: {} bytes is larger than the {} glassvm accepts", role, path, status.st_size, max_bytes);

    std::vector<uint8_t> bytes(static_cast<size_t>(status.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_bad_input("{} {}: {}", role, path, std::strerror(errno));
        if (n == 0) break;  // the file shrank while we read it
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

void write_all(int fd, std::span<const uint8_t> bytes, std::string_view what) {
    while (!bytes.empty()) {
        ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written >= 0) {
            bytes = bytes.subspan(static_cast<size_t>(written));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
            pollfd waiter{.fd = fd, .events = POLLOUT, .revents = 0};
            if (::poll(&waiter, 1, -1) < 0 && errno != EINTR) throw Error::from_errno(what, errno);
            continue;
        }
        throw Error::from_errno(what, errno);
    }
}

namespace {

void sync_directory(const std::filesystem::path& directory) {
    Fd fd(check_syscall("open " + directory.string(), ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)));
    check_syscall("fsync " + directory.string(), ::fsync(fd.get()));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const std::string& contents, mode_t mode) {
    std::filesystem::path temporary = path;
    temporary += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(::gettid());
    {
        Fd fd(check_syscall("open " + temporary.string(),
                            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0600)));
        check_syscall("chmod " + temporary.string(), ::fchmod(fd.get(), mode));  // the umask took bits away
        write_all(fd.get(), std::span(reinterpret_cast<const uint8_t*>(contents.data()), contents.size()),
                  "write " + temporary.string());
        check_syscall("fsync " + temporary.string(), ::fsync(fd.get()));
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        int error = errno;
        ::unlink(temporary.c_str());
        throw Error::from_errno("rename " + temporary.string() + " to " + path.string(), error);
    }
    sync_directory(path.parent_path().empty() ? "." : path.parent_path());
}

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        if (!std::filesystem::exists(path)) return std::nullopt;
        throw Error(ErrorKind::System, "cannot read " + path.string());
    }
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace glassvm
