// Write-then-rename with fsync (see atomic_file.hpp).
#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/write_all.hpp"

namespace glassvm {

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
