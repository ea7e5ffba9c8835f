// An OCI layer tar → a directory overlayfs can use as a lower layer: every entry written with
// plain system calls (no archive_write_disk), whiteouts converted as layer_tar.hpp describes.
//
// A layer tar is hostile input, and this runs as root. So nothing here ever follows a symlink:
// the layer root is held as a descriptor, each entry's parent directory is opened below it with
// path_beneath.hpp (openat2 RESOLVE_NO_SYMLINKS: a symlink on the way is an error, not a
// detour), and every operation is then relative to that descriptor — mkdirat, mknodat,
// symlinkat, linkat without AT_SYMLINK_FOLLOW, unlinkat, fchownat/utimensat/fchmodat with
// AT_SYMLINK_NOFOLLOW — or on a descriptor opened with O_NOFOLLOW (fchown, fchmod, futimens,
// fsetxattr). A hard link may only name a regular file this layer already unpacked: `evil ->
// /etc/shadow` then `h` linked to `evil` with mode 04777 once made the host file setuid through
// a chmod of the link (containerd's handleLChmod skips the chmod for exactly this; glassvm
// refuses the entry). umoci's CVE-2021-29136 (a whiteout through a symlink removing a host
// directory) is the same class: whiteouts and opaque markers go through the same parent
// descriptors.
#include "image/layer_tar.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "image/path_beneath.hpp"
#include "image/quoted.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

// A path inside the layer: leading "/" and "./" dropped, normalized, no trailing "/"; a ".."
// that would leave the layer is refused. "" is the layer root itself.
std::string layer_relative(const std::string& text, const std::string& entry) {
    fs::path path = fs::path(text).relative_path().lexically_normal();
    for (const fs::path& part : path)
        if (part == "..")
            throw_bad_input("layer tar: entry {}: {} points outside the layer", quote_untrusted(entry),
                            quote_untrusted(text));
    std::string normal = path.string();
    while (!normal.empty() && normal.back() == '/') normal.pop_back();
    return normal == "." ? std::string() : normal;
}

std::string parent_of(const std::string& relative) {
    size_t slash = relative.rfind('/');
    return slash == std::string::npos ? std::string() : relative.substr(0, slash);
}

std::string base_of(const std::string& relative) {
    size_t slash = relative.rfind('/');
    return slash == std::string::npos ? relative : relative.substr(slash + 1);
}

enum class Create {
    No,
    Yes
};

class LayerUnpacker {
public:
    explicit LayerUnpacker(const fs::path& directory)
            : m_root(check_syscall(fmt::format("open {}", directory.string()),
                                   ::open(directory.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))) {}

    void unpack(const fs::path& tar) {
        check_archive("tar: format", m_archive.get(), archive_read_support_format_tar(m_archive.get()));
        check_archive(fmt::format("open {}", tar.string()), m_archive.get(),
                      archive_read_open_filename(m_archive.get(), tar.c_str(), 1 << 16));
        struct archive_entry* entry = nullptr;
        for (;;) {
            int status = archive_read_next_header(m_archive.get(), &entry);
            if (status == ARCHIVE_EOF) break;
            check_archive(fmt::format("read {}", tar.string()), m_archive.get(), status);
            const char* name = archive_entry_pathname(entry);
            m_entry = name ? name : "";
            unpack_entry(entry);
        }
        // Directory times last: writing into a directory changes its mtime. A directory a later
        // entry replaced (by a symlink, say) is no longer one, and keeps no time of its own.
        for (const auto& [relative, seconds] : m_directory_times) {
            Fd directory(open_beneath(m_root.get(), relative, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, Symlinks::Refuse));
            if (directory) set_times(directory, relative, seconds);
        }
    }

private:
    void unpack_entry(struct archive_entry* entry) {
        std::string relative = layer_relative(m_entry, m_entry);
        if (relative.empty()) return;  // the layer root's own entry ("./")
        std::string base = base_of(relative);
        Fd parent = open_directory(parent_of(relative), Create::Yes);
        switch (classify_tar_name(base)) {
            case WhiteoutKind::Opaque: {
                Fd directory = open_at(parent, "", O_RDONLY | O_DIRECTORY);
                check_syscall(fmt::format("setxattr {} {}", quote_untrusted(parent_of(relative)), kOpaqueXattr),
                              ::fsetxattr(directory.get(), kOpaqueXattr, "y", 1, 0));
                return;
            }
            case WhiteoutKind::Whiteout: {
                std::string target = whiteout_target(base);
                remove_existing(parent, target);
                check_syscall(fmt::format("mknod {}", quote_untrusted(m_entry)),
                              ::mknodat(parent.get(), target.c_str(), S_IFCHR, makedev(0, 0)));
                return;
            }
            case WhiteoutKind::None:
                break;
        }
        if (const char* target = archive_entry_hardlink(entry)) {
            link_entry(target, relative, parent, base);
            Fd file = open_at(parent, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
            set_owner_and_mode(file, entry);
            set_times(file, relative, archive_entry_mtime(entry));
            return;
        }
        switch (archive_entry_filetype(entry)) {
            case AE_IFDIR: {
                struct stat status {};
                if (::fstatat(parent.get(), base.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0 ||
                    !S_ISDIR(status.st_mode)) {
                    remove_existing(parent, base);
                    check_syscall(fmt::format("mkdir {}", quote_untrusted(m_entry)),
                                  ::mkdirat(parent.get(), base.c_str(), 0700));
                }
                Fd directory = open_at(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                set_owner_and_mode(directory, entry);
                m_directory_times.emplace_back(relative, archive_entry_mtime(entry));
                return;
            }
            case AE_IFREG: {
                remove_existing(parent, base);
                Fd file(check_syscall(
                    fmt::format("create {}", quote_untrusted(m_entry)),
                    ::openat(parent.get(), base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)));
                write_data(file, archive_entry_size(entry));
                set_owner_and_mode(file, entry);
                set_times(file, relative, archive_entry_mtime(entry));
                return;
            }
            case AE_IFLNK:
                remove_existing(parent, base);
                check_syscall(fmt::format("symlink {}", quote_untrusted(m_entry)),
                              ::symlinkat(archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "",
                                          parent.get(), base.c_str()));
                set_owner_and_mode_at(parent, base, entry);
                return;
            case AE_IFCHR:
            case AE_IFBLK:
            case AE_IFIFO:
                remove_existing(parent, base);
                check_syscall(fmt::format("mknod {}", quote_untrusted(m_entry)),
                              ::mknodat(parent.get(), base.c_str(), archive_entry_filetype(entry) | 0600,
                                        archive_entry_rdev(entry)));
                set_owner_and_mode_at(parent, base, entry);
                return;
            default:
                throw_bad_input("layer tar: entry {} has a file type glassvm cannot unpack", quote_untrusted(m_entry));
        }
    }

    // A hard link: only to a regular file already unpacked in this layer. A symlink (which a
    // chmod of the link would follow), a directory, a device or anything outside is refused.
    void link_entry(const std::string& target_text, const std::string& relative, const Fd& parent,
                    const std::string& base) {
        std::string target = layer_relative(target_text, m_entry);
        auto refuse = [&](const char* why) {
            throw_bad_input(
                "layer tar: entry {} is a hard link to {}, {} (hard links may only name regular files "
                "unpacked earlier in the same layer)",
                quote_untrusted(m_entry), quote_untrusted(target_text), why);
        };
        if (target.empty() || target == relative) refuse("which is not a file");
        Fd target_parent = open_directory(parent_of(target), Create::No);
        if (!target_parent) refuse("which this layer has not unpacked");
        struct stat status {};
        if (::fstatat(target_parent.get(), base_of(target).c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) throw Error::from_errno(fmt::format("stat {}", quote_untrusted(target_text)), errno);
            refuse("which this layer has not unpacked");
        }
        if (!S_ISREG(status.st_mode))
            refuse(S_ISLNK(status.st_mode) ? "which is a symlink" : "which is not a regular file");
        remove_existing(parent, base);
        check_syscall(fmt::format("link {} {}", quote_untrusted(target_text), quote_untrusted(m_entry)),
                      ::linkat(target_parent.get(), base_of(target).c_str(), parent.get(), base.c_str(), 0));
    }

    void write_data(const Fd& file, la_int64_t size) {
        const void* block = nullptr;
        size_t length = 0;
        la_int64_t offset = 0;
        for (;;) {
            int status = archive_read_data_block(m_archive.get(), &block, &length, &offset);
            if (status == ARCHIVE_EOF) break;
            check_archive(fmt::format("read data of {}", quote_untrusted(m_entry)), m_archive.get(), status);
            const char* bytes = static_cast<const char*>(block);
            for (size_t done = 0; done < length;) {
                ssize_t count =
                    check_syscall(fmt::format("write {}", quote_untrusted(m_entry)),
                                  ::pwrite(file.get(), bytes + done, length - done, offset + static_cast<off_t>(done)));
                done += static_cast<size_t>(count);
            }
        }
        // A sparse entry's blocks leave its holes unwritten, the last one included: the size
        // makes them part of the file, still holes on disk.
        check_syscall(fmt::format("truncate {}", quote_untrusted(m_entry)),
                      ::ftruncate(file.get(), static_cast<off_t>(size)));
    }

    // Owner first: chown clears the setuid and setgid bits that chmod then sets.
    void set_owner_and_mode(const Fd& file, struct archive_entry* entry) {
        check_syscall(fmt::format("chown {}", quote_untrusted(m_entry)),
                      ::fchown(file.get(), static_cast<uid_t>(archive_entry_uid(entry)),
                               static_cast<gid_t>(archive_entry_gid(entry))));
        check_syscall(fmt::format("chmod {}", quote_untrusted(m_entry)),
                      ::fchmod(file.get(), archive_entry_perm(entry)));
    }

    // The same for what cannot be opened for it (a symlink, a device, a FIFO), by name in its
    // parent and never following; a symlink keeps its mode (Linux has none for them).
    void set_owner_and_mode_at(const Fd& parent, const std::string& base, struct archive_entry* entry) {
        check_syscall(fmt::format("chown {}", quote_untrusted(m_entry)),
                      ::fchownat(parent.get(), base.c_str(), static_cast<uid_t>(archive_entry_uid(entry)),
                                 static_cast<gid_t>(archive_entry_gid(entry)), AT_SYMLINK_NOFOLLOW));
        if (archive_entry_filetype(entry) != AE_IFLNK)
            check_syscall(fmt::format("chmod {}", quote_untrusted(m_entry)),
                          ::fchmodat(parent.get(), base.c_str(), archive_entry_perm(entry), AT_SYMLINK_NOFOLLOW));
        struct timespec times[2] = {{archive_entry_mtime(entry), 0}, {archive_entry_mtime(entry), 0}};
        check_syscall(fmt::format("utimensat {}", quote_untrusted(m_entry)),
                      ::utimensat(parent.get(), base.c_str(), times, AT_SYMLINK_NOFOLLOW));
    }

    static void set_times(const Fd& file, const std::string& relative, time_t seconds) {
        struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
        check_syscall(fmt::format("utimensat {}", quote_untrusted(relative)), ::futimens(file.get(), times));
    }

    Fd open_at(const Fd& directory, const std::string& name, int flags) {
        return Fd(check_syscall(fmt::format("open {}", quote_untrusted(m_entry)),
                                open_beneath(directory.get(), name, flags, Symlinks::Refuse)));
    }

    // The directory `relative` below the layer root (O_PATH). Missing directories are made
    // (0755, as tar does) with Create::Yes, or give an empty Fd with Create::No. A symlink or a
    // non-directory on the way is bad input: nothing is ever written through one.
    Fd open_directory(const std::string& relative, Create create) {
        int fd = open_beneath(m_root.get(), relative, O_PATH | O_DIRECTORY, Symlinks::Refuse);
        if (fd >= 0) return Fd(fd);
        if (errno != ENOENT) refuse_directory(relative, errno);
        if (create == Create::No) return Fd();
        Fd current(check_syscall("open the layer root",
                                 open_beneath(m_root.get(), "", O_PATH | O_DIRECTORY, Symlinks::Refuse)));
        for (const fs::path& part : fs::path(relative)) {
            int next = open_beneath(current.get(), part.string(), O_PATH | O_DIRECTORY, Symlinks::Refuse);
            if (next < 0 && errno == ENOENT) {
                check_syscall(fmt::format("mkdir {}", quote_untrusted(part.string())),
                              ::mkdirat(current.get(), part.c_str(), 0755));
                next = open_beneath(current.get(), part.string(), O_PATH | O_DIRECTORY, Symlinks::Refuse);
            }
            if (next < 0) refuse_directory(relative, errno);
            current.reset(next);
        }
        return current;
    }

    [[noreturn]] void refuse_directory(const std::string& relative, int error) {
        if (error == ELOOP || error == ENOTDIR || error == EXDEV)
            throw_bad_input(
                "layer tar: entry {}: {} is (or passes through) a symlink or a non-directory, and nothing is "
                "unpacked through one",
                quote_untrusted(m_entry), quote_untrusted(relative));
        throw Error::from_errno(fmt::format("open {} in the layer", quote_untrusted(relative)), error);
    }

    // Removes what is at `name` in `parent` (a whole directory tree, by descriptors, never
    // following a symlink inside it); nothing there is fine.
    void remove_existing(const Fd& parent, const std::string& name) {
        struct stat status {};
        if (::fstatat(parent.get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return;
            throw Error::from_errno(fmt::format("stat {}", quote_untrusted(m_entry)), errno);
        }
        if (S_ISDIR(status.st_mode)) {
            Fd directory = open_at(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            for (const std::string& child : directory_names(directory.get(), quote_untrusted(m_entry)))
                remove_existing(directory, child);
            check_syscall(fmt::format("rmdir {}", quote_untrusted(m_entry)),
                          ::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR));
        } else {
            check_syscall(fmt::format("unlink {}", quote_untrusted(m_entry)),
                          ::unlinkat(parent.get(), name.c_str(), 0));
        }
    }

    Fd m_root;
    ArchiveHandle m_archive = make_archive_reader();
    std::string m_entry;  // the current entry's name as the tar has it, for messages
    std::vector<std::pair<std::string, time_t>> m_directory_times;
};

}  // namespace

void unpack_layer_tar(const fs::path& tar, const fs::path& directory) {
    LayerUnpacker unpacker(directory);
    unpacker.unpack(tar);
}

}  // namespace glassvm::image
