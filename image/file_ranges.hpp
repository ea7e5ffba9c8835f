// Where a regular file keeps its data: the ranges lseek(2)'s SEEK_DATA and SEEK_HOLE report,
// so that sparse files are read and copied without touching their holes (a `truncate -s 512M`
// file is 512 MiB long and holds nothing).
#pragma once

#include <sys/types.h>

#include <string_view>
#include <vector>

namespace glassvm::image {

struct FileRange {
    off_t offset = 0;
    off_t length = 0;
};

// The ranges of the open regular file `fd`, `size` bytes long, that may hold data (the rest
// reads as zeros), in order. Where the file system cannot tell, the whole file. `name` is for
// error messages.
std::vector<FileRange> allocated_ranges(int fd, off_t size, std::string_view name);

// Copies `size` bytes from `from` to the empty file `to`, only the allocated ranges; the holes
// stay holes (`to` is truncated to `size`).
void copy_allocated(int from, int to, off_t size, std::string_view name);

}  // namespace glassvm::image
