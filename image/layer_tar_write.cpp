// An overlay upper directory → a deterministic OCI layer tar (see layer_tar.hpp for the rules).
#include "image/layer_tar.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
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

void check_archive(std::string_view operation, struct archive* archive, int status) {
    if (status >= ARCHIVE_WARN) return;
    const char* message = archive_error_string(archive);
    throw Error(ErrorKind::System, fmt::format("{}: {}", operation, message ? message : "libarchive failed"));
}

namespace {

class LayerTarWriter {
public:
    LayerTarWriter(const fs::path& directory, const fs::path& tar) : m_directory(directory) {
        check_archive("tar: pax format", m_archive.get(), archive_write_set_format_pax_restricted(m_archive.get()));
        check_archive(fmt::format("open {}", tar.string()), m_archive.get(),
                      archive_write_open_filename(m_archive.get(), tar.c_str()));
    }

    void write_tree() {
        std::vector<std::string> paths;
        for (const auto& entry : fs::recursive_directory_iterator(m_directory))
            paths.push_back(entry.path().lexically_relative(m_directory).string());
        std::sort(paths.begin(), paths.end());
        for (const std::string& path : paths) write_path(path);
        check_archive("tar: close", m_archive.get(), archive_write_close(m_archive.get()));
    }

private:
    void write_path(const std::string& relative) {
        fs::path path = m_directory / relative;
        struct stat status {};
        check_syscall(fmt::format("lstat {}", path.string()), ::lstat(path.c_str(), &status));
        if (S_ISSOCK(status.st_mode)) return;
        if (is_overlay_whiteout(status)) {
            fs::path deleted(relative);
            write_marker((deleted.parent_path() / whiteout_tar_name(deleted.filename().string())).string());
            return;
        }
        ArchiveEntryHandle entry = make_archive_entry();
        archive_entry_set_pathname(entry.get(), relative.c_str());
        archive_entry_set_mode(entry.get(), status.st_mode);
        archive_entry_set_uid(entry.get(), status.st_uid);
        archive_entry_set_gid(entry.get(), status.st_gid);
        archive_entry_set_mtime(entry.get(), 0, 0);
        if (S_ISCHR(status.st_mode) || S_ISBLK(status.st_mode)) archive_entry_set_rdev(entry.get(), status.st_rdev);
        if (S_ISLNK(status.st_mode)) archive_entry_set_symlink(entry.get(), fs::read_symlink(path).c_str());
        if (S_ISREG(status.st_mode)) {
            write_regular(entry.get(), relative, path, status);
        } else {
            write_header(entry.get(), relative);
        }
        if (S_ISDIR(status.st_mode) && is_opaque(path)) write_marker((fs::path(relative) / kOpaqueMarker).string());
    }

    void write_regular(struct archive_entry* entry, const std::string& relative, const fs::path& path,
                       const struct stat& status) {
        if (status.st_nlink > 1) {
            auto [first, inserted] = m_first_links.try_emplace({status.st_dev, status.st_ino}, relative);
            if (!inserted) {
                archive_entry_set_hardlink(entry, first->second.c_str());
                archive_entry_set_size(entry, 0);
                write_header(entry, relative);
                return;
            }
        }
        archive_entry_set_size(entry, status.st_size);
        write_header(entry, relative);
        Fd file(check_syscall(fmt::format("open {}", path.string()), ::open(path.c_str(), O_RDONLY | O_CLOEXEC)));
        std::vector<char> buffer(1 << 16);
        for (;;) {
            ssize_t count = check_syscall(fmt::format("read {}", path.string()), ::read(file.get(), buffer.data(), buffer.size()));
            if (count == 0) break;
            if (archive_write_data(m_archive.get(), buffer.data(), static_cast<size_t>(count)) != count)
                check_archive(fmt::format("tar: write {}", relative), m_archive.get(), ARCHIVE_FATAL);
        }
    }

    // An empty regular file standing for a whiteout or an opaque directory.
    void write_marker(const std::string& relative) {
        ArchiveEntryHandle entry = make_archive_entry();
        archive_entry_set_pathname(entry.get(), relative.c_str());
        archive_entry_set_mode(entry.get(), S_IFREG | 0644);
        archive_entry_set_size(entry.get(), 0);
        archive_entry_set_mtime(entry.get(), 0, 0);
        write_header(entry.get(), relative);
    }

    void write_header(struct archive_entry* entry, const std::string& relative) {
        check_archive(fmt::format("tar: write {}", relative), m_archive.get(), archive_write_header(m_archive.get(), entry));
    }

    static bool is_opaque(const fs::path& directory) {
        char value[2] = {};
        ssize_t size = ::lgetxattr(directory.c_str(), kOpaqueXattr, value, sizeof value);
        return size == 1 && value[0] == 'y';
    }

    fs::path m_directory;
    ArchiveHandle m_archive = make_archive_writer();
    std::map<std::pair<dev_t, ino_t>, std::string> m_first_links;  // hard-linked inode → first path
};

}  // namespace

void write_layer_tar(const fs::path& directory, const fs::path& tar) {
    LayerTarWriter writer(directory, tar);
    writer.write_tree();
}

}  // namespace glassvm::image
