// A layer as a tar (libarchive) and as a directory overlayfs can stack, both ways:
//   write_layer_tar   an overlay upper directory → an OCI layer tar (whiteouts as .wh. entries)
//   unpack_layer_tar  an OCI layer tar → a directory (whiteouts as 0/0 devices, opaque xattrs)
// The tar glassvm writes is deterministic, so identical content has one digest: entries sorted
// by path (bytewise), every mtime 0, numeric owners only (no user or group names), no xattrs
// other than the whiteout conversions, the POSIX pax format with no pax time records.
#pragma once

#include <filesystem>

namespace glassvm::image {

// Writes `directory`'s tree (not the directory itself) to `tar`: regular files, directories,
// symlinks, hard links (an inode's first path by sort order holds the data), devices and FIFOs.
// A 0/0 character device becomes `.wh.NAME`, a directory with trusted.overlay.opaque=y is
// followed by its `.wh..wh..opq`; sockets are left out.
void write_layer_tar(const std::filesystem::path& directory, const std::filesystem::path& tar);

// Unpacks `tar` into `directory` (which must exist and be empty), converting OCI whiteouts to
// overlayfs's form. Entry paths are taken relative to `directory`; a path with a ".." component
// or a hard link outside the layer is refused (BadInput). Owners, modes and mtimes are restored.
void unpack_layer_tar(const std::filesystem::path& tar, const std::filesystem::path& directory);

}  // namespace glassvm::image
