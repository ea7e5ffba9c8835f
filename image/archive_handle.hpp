// Owners for libarchive's reader and writer objects (freed, and so closed, when destroyed), and
// the one way a libarchive failure becomes a glassvm::Error.
#pragma once

#include <memory>
#include <string_view>

#include <archive.h>
#include <archive_entry.h>

namespace glassvm::image {

using ArchiveHandle = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using ArchiveEntryHandle = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

inline ArchiveHandle make_archive_reader() { return {archive_read_new(), &archive_read_free}; }
inline ArchiveHandle make_archive_writer() { return {archive_write_new(), &archive_write_free}; }
inline ArchiveEntryHandle make_archive_entry() { return {archive_entry_new(), &archive_entry_free}; }

// Throws an Error "OPERATION: libarchive's message" when `status` is below ARCHIVE_WARN (a
// warning is not an error: libarchive still did the work).
void check_archive(std::string_view operation, struct archive* archive, int status);

}  // namespace glassvm::image
