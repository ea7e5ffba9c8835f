// A layer as a tar (libarchive) and as a directory overlayfs can stack, both ways (and the owners
// of libarchive's objects, with the one way its failures become glassvm Errors):
//   write_layer_tar   an overlay upper directory → an OCI layer tar (whiteouts as .wh. entries)
//   unpack_layer_tar  an OCI layer tar → a directory (whiteouts as 0/0 devices, opaque xattrs)
// The tar glassvm writes is deterministic, so identical content has one digest: entries sorted
// by path (bytewise), every mtime 0, numeric owners only (no user or group names), no xattrs
// other than the whiteout conversions, the POSIX pax format with no pax time records. Runs of
// zeros (64 KiB or more, on 4 KiB boundaries) are written as holes of a sparse entry (GNU
// sparse format 1.0 in pax headers, which libarchive, GNU tar and Go's archive/tar read): what
// is a hole depends on the bytes only, not on how the file system stores them.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace glassvm::image {

// The largest layer tar `glassvm build` writes unless told otherwise (--layer-limit): a RUN
// step's output is the build's to bound, or one `RUN` fills the store's disk.
inline constexpr std::uint64_t kDefaultLayerSizeLimit = std::uint64_t(8) << 30;

// Writes `directory`'s tree (not the directory itself) to `tar`: regular files, directories,
// symlinks, hard links (an inode's first path by sort order holds the data), devices and FIFOs.
// A 0/0 character device becomes `.wh.NAME`, a directory with trusted.overlay.opaque=y is
// followed by its `.wh..wh..opq`; sockets are left out. A tar that would grow past
// `size_limit` bytes is a BadInput error (the caller removes the partial file).
void write_layer_tar(const std::filesystem::path& directory, const std::filesystem::path& tar,
                     std::uint64_t size_limit = kDefaultLayerSizeLimit);

// Unpacks `tar` into `directory` (which must exist and be empty), converting OCI whiteouts to
// overlayfs's form. Entry paths are taken relative to `directory`; no symlink is ever followed
// (layer_tar_unpack.cpp): an entry below a symlink, a path leaving the layer, or a hard link to
// anything but a regular file unpacked earlier in the tar is refused (BadInput naming the
// entry). Owners, modes and mtimes are restored; sparse entries keep their holes.
void unpack_layer_tar(const std::filesystem::path& tar, const std::filesystem::path& directory);

using ArchiveHandle = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using ArchiveEntryHandle = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

inline ArchiveHandle make_archive_reader() { return {archive_read_new(), &archive_read_free}; }
inline ArchiveHandle make_archive_writer() { return {archive_write_new(), &archive_write_free}; }
inline ArchiveEntryHandle make_archive_entry() { return {archive_entry_new(), &archive_entry_free}; }

// Throws an Error "OPERATION: libarchive's message" when `status` is below ARCHIVE_WARN (a
// warning is not an error: libarchive still did the work).
void check_archive(std::string_view operation, struct archive* archive, int status);

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
inline constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

enum class WhiteoutKind {
    None,
    Whiteout,
    Opaque
};

// What a tar entry's base name says: a deletion of another name, an opaque marker, or neither.
WhiteoutKind classify_tar_name(std::string_view base_name);

// For `.wh.NAME`, NAME; throws BadInput when NAME is empty, "." or "..".
std::string whiteout_target(std::string_view base_name);

// `.wh.` + NAME: the tar entry that deletes NAME.
std::string whiteout_tar_name(std::string_view name);

// Whether an lstat() result is overlayfs's whiteout: a character device with device number 0/0.
bool is_overlay_whiteout(const struct stat& status);

}  // namespace glassvm::image
