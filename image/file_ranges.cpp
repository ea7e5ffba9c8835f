// SEEK_DATA / SEEK_HOLE walks (file_ranges.hpp).
#include "image/file_ranges.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::image {

std::vector<FileRange> allocated_ranges(int fd, off_t size, std::string_view name) {
    std::vector<FileRange> ranges;
    for (off_t position = 0; position < size;) {
        off_t data = ::lseek(fd, position, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO) break;  // nothing but a hole to the end
            // A file system without SEEK_DATA (EINVAL): all of it may be data.
            if (errno == EINVAL || errno == EOPNOTSUPP) return {{position, size - position}};
            throw Error::from_errno(fmt::format("lseek SEEK_DATA {}", name), errno);
        }
        if (data >= size) break;
        off_t hole = check_syscall(fmt::format("lseek SEEK_HOLE {}", name), ::lseek(fd, data, SEEK_HOLE));
        hole = std::min(std::max(hole, data + 1), size);
        ranges.push_back({data, hole - data});
        position = hole;
    }
    return ranges;
}

void copy_allocated(int from, int to, off_t size, std::string_view name) {
    std::vector<char> buffer(1 << 16);
    for (const FileRange& range : allocated_ranges(from, size, name)) {
        for (off_t done = 0; done < range.length;) {
            size_t want = static_cast<size_t>(std::min<off_t>(range.length - done, static_cast<off_t>(buffer.size())));
            ssize_t got =
                check_syscall(fmt::format("read {}", name), ::pread(from, buffer.data(), want, range.offset + done));
            if (got == 0)
                throw Error(ErrorKind::System, fmt::format("read {}: the file shrank while being copied", name));
            for (ssize_t written = 0; written < got;)
                written += check_syscall(fmt::format("write {}", name),
                                         ::pwrite(to, buffer.data() + written, static_cast<size_t>(got - written),
                                                  range.offset + done + written));
            done += got;
        }
    }
    check_syscall(fmt::format("truncate {}", name), ::ftruncate(to, size));
}

}  // namespace glassvm::image
