// Reading the build context without leaving it (context_source.hpp): one walk over a source
// tree by descriptors, used for the cache digest and for the copy.
#include "image/context_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/file_ranges.hpp"
#include "image/path_beneath.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

// What the walk finds, in order: the source itself first (relative "."), then depth first.
class SourceVisitor {
public:
    virtual ~SourceVisitor() = default;
    virtual void directory(const std::string& relative, const struct stat& status) = 0;
    virtual void file(const std::string& relative, const struct stat& status, const Fd& file) = 0;
    virtual void symlink(const std::string& relative, const struct stat& status, const std::string& target) = 0;
};

std::string shown_path(const ContextSource& source, const std::string& relative) {
    return relative == "." ? source.shown : fmt::format("{}/{}", source.shown, relative);
}

// Opens `name` in `parent` without following a symlink, and checks that it is still the entry
// fstatat saw: the context may change under a build, and what is read must be what was walked.
Fd open_checked(int parent, const std::string& name, int flags, const struct stat& seen, const std::string& shown) {
    Fd fd(
        check_syscall(fmt::format("open {}", shown), open_beneath(parent, name, flags | O_NOFOLLOW, Symlinks::Refuse)));
    struct stat status {};
    check_syscall(fmt::format("stat {}", shown), ::fstat(fd.get(), &status));
    if (status.st_dev != seen.st_dev || status.st_ino != seen.st_ino)
        throw Error(ErrorKind::System, fmt::format("{} changed while COPY read it", shown));
    return fd;
}

void walk(const ContextSource& source, int parent, const std::string& name, const std::string& relative,
          SourceVisitor& visitor) {
    const std::string shown = shown_path(source, relative);
    struct stat status {};
    check_syscall(fmt::format("stat {}", shown), ::fstatat(parent, name.c_str(), &status, AT_SYMLINK_NOFOLLOW));
    if (S_ISLNK(status.st_mode)) {
        visitor.symlink(relative, status, read_link_at(parent, name, shown));
    } else if (S_ISREG(status.st_mode)) {
        visitor.file(relative, status, open_checked(parent, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, status, shown));
    } else if (S_ISDIR(status.st_mode)) {
        Fd directory = open_checked(parent, name, O_RDONLY | O_DIRECTORY, status, shown);
        visitor.directory(relative, status);
        std::vector<std::string> names = directory_names(directory.get(), shown);
        std::sort(names.begin(), names.end());
        for (const std::string& child : names)
            walk(source, directory.get(), child, relative == "." ? child : relative + "/" + child, visitor);
    } else {
        throw_bad_input("COPY {}: {} is a device, FIFO or socket; COPY takes files, directories and symlinks",
                        source.shown, shown);
    }
}

void walk(const ContextSource& source, SourceVisitor& visitor) {
    walk(source, source.parent.get(), source.name, ".", visitor);
}

class DigestVisitor : public SourceVisitor {
public:
    void directory(const std::string& relative, const struct stat& status) override { add_entry(relative, status); }
    void file(const std::string& relative, const struct stat& status, const Fd& file) override {
        add_entry(relative, status);
        std::vector<char> buffer(1 << 16);
        for (off_t offset = 0;;) {
            ssize_t count = check_syscall(fmt::format("read {}", relative),
                                          ::pread(file.get(), buffer.data(), buffer.size(), offset));
            if (count == 0) break;
            m_sha.add(buffer.data(), static_cast<size_t>(count));
            offset += count;
        }
    }
    void symlink(const std::string& relative, const struct stat& status, const std::string& target) override {
        add_entry(relative, status);
        m_sha.add(target);
    }
    std::string finish() { return m_sha.finish(); }

private:
    // "<relative>\0<mode in octal>\0" before each entry's data, so no two trees share a stream.
    void add_entry(const std::string& relative, const struct stat& status) {
        m_sha.add(relative);
        m_sha.add(std::string_view("\0", 1));
        m_sha.add(fmt::format("{:o}", status.st_mode));
        m_sha.add(std::string_view("\0", 1));
    }
    Sha256 m_sha;
};

class CopyVisitor : public SourceVisitor {
public:
    CopyVisitor(const ContextSource& source, fs::path target, IntoDirectory into)
            : m_source(source), m_target(std::move(target)), m_into(into) {}

    void directory(const std::string& relative, const struct stat& status) override {
        if (relative == ".") {
            fs::create_directories(m_target);
            return;
        }
        fs::path path = m_target / relative;
        if (fs::is_directory(path)) return;  // merge into what the image has
        replace(path, relative);
        check_syscall(fmt::format("mkdir {}", path.string()), ::mkdir(path.c_str(), 0700));
        check_syscall(fmt::format("chmod {}", path.string()), ::chmod(path.c_str(), status.st_mode & 07777));
    }

    void file(const std::string& relative, const struct stat& status, const Fd& file) override {
        fs::path path = destination(relative);
        replace(path, relative);
        Fd copy(check_syscall(fmt::format("create {}", path.string()),
                              ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)));
        copy_allocated(file.get(), copy.get(), status.st_size, shown_path(m_source, relative));
        check_syscall(fmt::format("chmod {}", path.string()), ::fchmod(copy.get(), status.st_mode & 07777));
    }

    void symlink(const std::string& relative, const struct stat&, const std::string& target) override {
        fs::path path = destination(relative);
        replace(path, relative);
        check_syscall(fmt::format("symlink {}", path.string()), ::symlink(target.c_str(), path.c_str()));
    }

private:
    // Where an entry goes. The source itself, when not a directory, may go into the target.
    fs::path destination(const std::string& relative) {
        if (relative != ".") return m_target / relative;
        fs::path path = m_target;
        if (m_into == IntoDirectory::Yes || fs::is_directory(path)) path /= m_source.name;
        fs::create_directories(path.parent_path());
        return path;
    }

    // Makes room for a new entry at `path`: what is there goes, unless it is a directory.
    void replace(const fs::path& path, const std::string& relative) {
        fs::file_status existing = fs::symlink_status(path);
        if (!fs::exists(existing)) return;
        if (fs::is_directory(existing))
            throw_bad_input("COPY {}: {} would replace the directory {} in the image", m_source.shown,
                            shown_path(m_source, relative), path.string());
        fs::remove(path);
    }

    const ContextSource& m_source;
    fs::path m_target;
    IntoDirectory m_into;
};

}  // namespace

Fd open_context(const fs::path& context_dir) {
    int fd = ::open(context_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
        throw_bad_input("{} is not a directory (glassvm build DIR reads DIR/Glassfile)", context_dir.string());
    return Fd(check_syscall(fmt::format("open {}", context_dir.string()), fd));
}

std::optional<std::string> read_context_file(const Fd& context, const std::string& name) {
    Fd file(open_beneath(context.get(), name, O_RDONLY | O_NONBLOCK | O_NOCTTY, Symlinks::InRoot));
    if (!file) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV) return std::nullopt;
        throw Error::from_errno(fmt::format("open {}", name), errno);
    }
    struct stat status {};
    check_syscall(fmt::format("stat {}", name), ::fstat(file.get(), &status));
    if (!S_ISREG(status.st_mode)) return std::nullopt;
    std::string text;
    std::vector<char> buffer(1 << 16);
    for (;;) {
        ssize_t count = check_syscall(fmt::format("read {}", name), ::read(file.get(), buffer.data(), buffer.size()));
        if (count == 0) return text;
        text.append(buffer.data(), static_cast<size_t>(count));
    }
}

ContextSource resolve_context_source(const Fd& context, const std::string& argument, const std::string& where) {
    std::string relative = fs::path(argument).relative_path().lexically_normal().string();
    while (relative.size() > 1 && relative.back() == '/') relative.pop_back();
    if (relative.empty() || relative == ".." || relative.starts_with("../"))
        throw_bad_input("{}: COPY source '{}' is outside the build directory", where, argument);
    auto missing = [&] {
        throw_bad_input(
            "{}: COPY source '{}' does not exist in the build directory (symlinks on its way resolve "
            "inside the build directory, never out of it)",
            where, argument);
    };
    size_t slash = relative.rfind('/');
    std::string directory = slash == std::string::npos ? std::string() : relative.substr(0, slash);
    std::string name = slash == std::string::npos ? relative : relative.substr(slash + 1);
    Fd parent(open_beneath(context.get(), directory, O_PATH | O_DIRECTORY, Symlinks::InRoot));
    if (!parent) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV) missing();
        throw Error::from_errno(fmt::format("{}: open {}", where, directory), errno);
    }
    struct stat status {};
    if (::fstatat(parent.get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) missing();
        throw Error::from_errno(fmt::format("{}: stat {}", where, argument), errno);
    }
    return {std::move(parent), name, argument};
}

std::string sha256_context_source(const ContextSource& source) {
    DigestVisitor digest;
    walk(source, digest);
    return digest.finish();
}

void copy_context_source(const ContextSource& source, const fs::path& target, IntoDirectory into) {
    CopyVisitor copy(source, target, into);
    walk(source, copy);
}

}  // namespace glassvm::image
