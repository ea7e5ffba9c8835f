// An OCI layer tar → a directory overlayfs can use as a lower layer: every entry written with
// plain system calls (no archive_write_disk), whiteouts converted as whiteout.hpp describes.
#include "image/layer_tar.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "image/archive_handle.hpp"
#include "image/whiteout.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

// The entry's path relative to the layer root: leading "/" and "./" dropped, normalized; ".."
// anywhere is refused. "" is the root itself.
fs::path entry_path(const char* name) {
    std::string text = name ? name : "";
    fs::path path = fs::path(text).relative_path().lexically_normal();
    for (const fs::path& part : path)
        if (part == "..") throw_bad_input("layer tar: entry '{}' points outside the layer", text);
    std::string normal = path.string();
    while (!normal.empty() && normal.back() == '/') normal.pop_back();
    return normal == "." ? fs::path() : fs::path(normal);
}

class LayerUnpacker {
public:
    explicit LayerUnpacker(const fs::path& directory) : m_root(directory) {}

    void unpack(const fs::path& tar) {
        check_archive("tar: format", m_archive.get(), archive_read_support_format_tar(m_archive.get()));
        check_archive(fmt::format("open {}", tar.string()), m_archive.get(),
                      archive_read_open_filename(m_archive.get(), tar.c_str(), 1 << 16));
        struct archive_entry* entry = nullptr;
        for (;;) {
            int status = archive_read_next_header(m_archive.get(), &entry);
            if (status == ARCHIVE_EOF) break;
            check_archive(fmt::format("read {}", tar.string()), m_archive.get(), status);
            unpack_entry(entry);
        }
        // Directory times last: writing into a directory changes its mtime.
        for (const auto& [path, seconds] : m_directory_times) set_time(path, seconds);
    }

private:
    void unpack_entry(struct archive_entry* entry) {
        fs::path relative = entry_path(archive_entry_pathname(entry));
        if (relative.empty()) return;  // the layer root's own entry ("./")
        std::string base = relative.filename().string();
        fs::path parent = prepare_parent(relative.parent_path());
        switch (classify_tar_name(base)) {
        case WhiteoutKind::Opaque:
            check_syscall(fmt::format("setxattr {} {}", parent.string(), kOpaqueXattr),
                          ::lsetxattr(parent.c_str(), kOpaqueXattr, "y", 1, 0));
            return;
        case WhiteoutKind::Whiteout: {
            fs::path target = parent / whiteout_target(base);
            remove_existing(target);
            check_syscall(fmt::format("mknod {}", target.string()), ::mknod(target.c_str(), S_IFCHR, makedev(0, 0)));
            return;
        }
        case WhiteoutKind::None: break;
        }
        fs::path path = m_root / relative;
        create_entry(entry, path);
        set_owner_mode_time(entry, path);
    }

    void create_entry(struct archive_entry* entry, const fs::path& path) {
        mode_t type = archive_entry_filetype(entry);
        if (type == AE_IFDIR) {
            struct stat status {};
            if (::lstat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) return;
            remove_existing(path);
            check_syscall(fmt::format("mkdir {}", path.string()), ::mkdir(path.c_str(), 0700));
            return;
        }
        remove_existing(path);
        if (const char* target = archive_entry_hardlink(entry)) {
            fs::path link_target = entry_path(target);
            fs::path source = prepare_parent(link_target.parent_path()) / link_target.filename();
            check_syscall(fmt::format("link {} {}", source.string(), path.string()), ::link(source.c_str(), path.c_str()));
        } else if (type == AE_IFREG) {
            write_data(path);
        } else if (type == AE_IFLNK) {
            check_syscall(fmt::format("symlink {}", path.string()), ::symlink(archive_entry_symlink(entry), path.c_str()));
        } else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO) {
            check_syscall(fmt::format("mknod {}", path.string()),
                          ::mknod(path.c_str(), type | 0600, archive_entry_rdev(entry)));
        } else {
            throw_bad_input("layer tar: entry '{}' has a file type glassvm cannot unpack", path.string());
        }
    }

    void write_data(const fs::path& path) {
        Fd file(check_syscall(fmt::format("create {}", path.string()),
                              ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)));
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        for (;;) {
            int status = archive_read_data_block(m_archive.get(), &block, &size, &offset);
            if (status == ARCHIVE_EOF) return;
            check_archive(fmt::format("read data of {}", path.string()), m_archive.get(), status);
            const char* bytes = static_cast<const char*>(block);
            for (size_t done = 0; done < size;) {
                ssize_t count = check_syscall(fmt::format("write {}", path.string()),
                                              ::pwrite(file.get(), bytes + done, size - done, offset + static_cast<off_t>(done)));
                done += static_cast<size_t>(count);
            }
        }
    }

    void set_owner_mode_time(struct archive_entry* entry, const fs::path& path) {
        check_syscall(fmt::format("lchown {}", path.string()),
                      ::lchown(path.c_str(), static_cast<uid_t>(archive_entry_uid(entry)),
                               static_cast<gid_t>(archive_entry_gid(entry))));
        if (archive_entry_filetype(entry) != AE_IFLNK)
            check_syscall(fmt::format("chmod {}", path.string()), ::chmod(path.c_str(), archive_entry_perm(entry)));
        if (archive_entry_filetype(entry) == AE_IFDIR)
            m_directory_times.emplace_back(path, archive_entry_mtime(entry));
        else
            set_time(path, archive_entry_mtime(entry));
    }

    static void set_time(const fs::path& path, time_t seconds) {
        struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
        check_syscall(fmt::format("utimensat {}", path.string()), ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW));
    }

    // The parent directory of an entry, created when missing; every component must be a real
    // directory (not a symlink), so no entry can be written outside the layer through one.
    fs::path prepare_parent(const fs::path& relative_parent) {
        fs::path path = m_root;
        for (const fs::path& part : relative_parent) {
            path /= part;
            struct stat status {};
            if (::lstat(path.c_str(), &status) != 0) {
                check_syscall(fmt::format("mkdir {}", path.string()), ::mkdir(path.c_str(), 0755));
            } else if (!S_ISDIR(status.st_mode)) {
                throw_bad_input("layer tar: '{}' is not a directory but entries are written below it",
                                path.lexically_relative(m_root).string());
            }
        }
        return path;
    }

    static void remove_existing(const fs::path& path) {
        struct stat status {};
        if (::lstat(path.c_str(), &status) != 0) return;
        if (S_ISDIR(status.st_mode))
            fs::remove_all(path);
        else
            check_syscall(fmt::format("unlink {}", path.string()), ::unlink(path.c_str()));
    }

    fs::path m_root;
    ArchiveHandle m_archive = make_archive_reader();
    std::vector<std::pair<fs::path, time_t>> m_directory_times;
};

}  // namespace

void unpack_layer_tar(const fs::path& tar, const fs::path& directory) {
    LayerUnpacker unpacker(directory);
    unpacker.unpack(tar);
}

}  // namespace glassvm::image
