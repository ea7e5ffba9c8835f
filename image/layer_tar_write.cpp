// An overlay upper directory → a deterministic OCI layer tar (see layer_tar.hpp for the rules),
// sparse where the files have long runs of zeros, and no larger than its size limit.
#include "image/layer_tar.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "image/file_ranges.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

// Holes are found by content on these boundaries, and only runs this long become one: shorter
// runs of zeros (padding in executables, say) stay data, so ordinary files stay plain entries.
constexpr off_t kBlock = 4096;
constexpr off_t kMinimumHole = 64 << 10;

bool is_zero(const char* bytes, size_t length) {
    static const char zeros[kBlock] = {};
    return std::memcmp(bytes, zeros, length) == 0;
}

void read_fully(int fd, char* buffer, size_t length, off_t offset, const fs::path& path) {
    for (size_t done = 0; done < length;) {
        ssize_t count = check_syscall(fmt::format("read {}", path.string()),
                                      ::pread(fd, buffer + done, length - done, offset + static_cast<off_t>(done)));
        if (count == 0)
            throw Error(ErrorKind::System,
                        fmt::format("read {}: the file shrank while it was written to the layer", path.string()));
        done += static_cast<size_t>(count);
    }
}

// The parts of a file the tar stores as data: everything but runs of at least kMinimumHole
// zero bytes on kBlock boundaries. Holes the file system reports are never read (a 512 MiB
// `truncate` costs nothing); allocated ranges are read and their zero blocks found, so a file
// written out in full and one with holes, byte for byte the same, give the same ranges.
std::vector<FileRange> stored_ranges(int fd, off_t size, const fs::path& path) {
    std::vector<FileRange> stored;
    off_t data_start = 0;    // the start of the data not yet in `stored`
    off_t zeros_start = -1;  // the start of the current run of zero blocks; -1 outside one
    auto zeros = [&](off_t at) {
        if (zeros_start < 0) zeros_start = at;
    };
    auto data = [&](off_t at) {  // the block at `at` holds data: a long run of zeros before it is a hole
        if (zeros_start >= 0 && at - zeros_start >= kMinimumHole) {
            if (zeros_start > data_start) stored.push_back({data_start, zeros_start - data_start});
            data_start = at;
        }
        zeros_start = -1;
    };
    std::vector<char> buffer(1 << 16);
    off_t position = 0;  // the blocks before it are classified
    for (const FileRange& range : allocated_ranges(fd, size, path.string())) {
        off_t begin = std::max(position, range.offset / kBlock * kBlock);
        off_t end = std::min(size, (range.offset + range.length + kBlock - 1) / kBlock * kBlock);
        if (begin >= end) continue;
        if (begin > position) zeros(position);
        for (position = begin; position < end;) {
            size_t length = static_cast<size_t>(std::min<off_t>(static_cast<off_t>(buffer.size()), end - position));
            read_fully(fd, buffer.data(), length, position, path);
            for (size_t block = 0; block < length; block += kBlock) {
                size_t block_length = std::min<size_t>(kBlock, length - block);
                if (is_zero(buffer.data() + block, block_length))
                    zeros(position + static_cast<off_t>(block));
                else
                    data(position + static_cast<off_t>(block));
            }
            position += static_cast<off_t>(length);
        }
    }
    if (position < size) zeros(position);
    data(size);  // ends a run of zeros that reaches the end
    if (data_start < size) stored.push_back({data_start, size - data_start});
    return stored;
}

class LayerTarWriter {
public:
    LayerTarWriter(const fs::path& directory, const fs::path& tar, std::uint64_t size_limit)
            : m_directory(directory), m_size_limit(size_limit) {
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
        Fd file(check_syscall(fmt::format("open {}", path.string()),
                              ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)));
        std::vector<FileRange> stored = stored_ranges(file.get(), status.st_size, path);
        archive_entry_set_size(entry, status.st_size);
        bool sparse =
            !(stored.size() == 1 && stored[0].offset == 0 && stored[0].length == status.st_size) && status.st_size > 0;
        if (sparse) {
            for (const FileRange& range : stored) archive_entry_sparse_add_entry(entry, range.offset, range.length);
            if (stored.empty())
                archive_entry_sparse_add_entry(entry, status.st_size, 0);  // all holes: libarchive needs one entry
        } else {
            stored = {{0, status.st_size}};
        }
        check_size_limit(relative, stored);
        write_header(entry, relative);
        // libarchive's pax writer takes the whole file, holes included, and skips the holes'
        // bytes itself (archive_write_pax_data); each write stays within one range or hole.
        std::vector<char> buffer(1 << 16);
        off_t position = 0;
        for (const FileRange& range : stored) {
            write_zeros(relative, range.offset - position);
            for (off_t done = 0; done < range.length;) {
                size_t length =
                    static_cast<size_t>(std::min<off_t>(static_cast<off_t>(buffer.size()), range.length - done));
                read_fully(file.get(), buffer.data(), length, range.offset + done, path);
                write_data(relative, buffer.data(), length);
                done += static_cast<off_t>(length);
            }
            position = range.offset + range.length;
        }
        write_zeros(relative, status.st_size - position);
    }

    void check_size_limit(const std::string& relative, const std::vector<FileRange>& stored) {
        std::uint64_t data = 0;
        for (const FileRange& range : stored) data += static_cast<std::uint64_t>(range.length);
        std::uint64_t total = static_cast<std::uint64_t>(archive_filter_bytes(m_archive.get(), -1)) + data;
        if (total > m_size_limit)
            throw_bad_input(
                "the layer is over the layer size limit of {} bytes at {} ({} bytes of data); "
                "glassvm build --layer-limit SIZE raises it",
                m_size_limit, relative, data);
    }

    void write_zeros(const std::string& relative, off_t length) {
        static const std::vector<char> zeros(1 << 20);
        for (off_t done = 0; done < length;) {
            size_t chunk = static_cast<size_t>(std::min<off_t>(static_cast<off_t>(zeros.size()), length - done));
            write_data(relative, zeros.data(), chunk);
            done += static_cast<off_t>(chunk);
        }
    }

    void write_data(const std::string& relative, const char* bytes, size_t length) {
        if (archive_write_data(m_archive.get(), bytes, length) != static_cast<la_ssize_t>(length))
            check_archive(fmt::format("tar: write {}", relative), m_archive.get(), ARCHIVE_FATAL);
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
        check_archive(fmt::format("tar: write {}", relative), m_archive.get(),
                      archive_write_header(m_archive.get(), entry));
    }

    static bool is_opaque(const fs::path& directory) {
        char value[2] = {};
        ssize_t size = ::lgetxattr(directory.c_str(), kOpaqueXattr, value, sizeof value);
        return size == 1 && value[0] == 'y';
    }

    fs::path m_directory;
    std::uint64_t m_size_limit;
    ArchiveHandle m_archive = make_archive_writer();
    std::map<std::pair<dev_t, ino_t>, std::string> m_first_links;  // hard-linked inode → first path
};

}  // namespace

void write_layer_tar(const fs::path& directory, const fs::path& tar, std::uint64_t size_limit) {
    LayerTarWriter writer(directory, tar, size_limit);
    writer.write_tree();
}

}  // namespace glassvm::image
