// read_file: open, check it is a regular file of sane size, read it all.
#include "core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/error.hpp"
#include "core/fd.hpp"

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
        throw_bad_input("{} {}: {} bytes is larger than the {} glassvm accepts", role, path,
                        status.st_size, max_bytes);

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

}  // namespace glassvm
