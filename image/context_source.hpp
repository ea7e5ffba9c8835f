// The build context as `glassvm build` reads it: the Glassfile and COPY's sources, resolved
// and read without ever leaving the context directory. The context may hold anyone's files (a
// checkout, a download, a daemon client's directory), and a build runs as root: a symlink in
// it must not carry COPY — or the cache key's digest — to a file outside (`hostetc -> /etc`
// and `COPY hostetc/shadow /x` once copied the host's shadow into the image). As BuildKit
// does, a source path is resolved with the context as its root (openat2 RESOLVE_IN_ROOT, so
// `hostetc/shadow` means the context's own etc/shadow), and the tree below it is read by
// descriptors with O_NOFOLLOW: a symlink inside is copied as a symlink, never followed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/fd.hpp"

namespace glassvm::image {

// The context directory, opened (O_PATH); BadInput when it is not a directory.
Fd open_context(const std::filesystem::path& context_dir);

// The bytes of the context's regular file `name` (the Glassfile), resolved inside the context;
// nullopt when there is none.
std::optional<std::string> read_context_file(const Fd& context, const std::string& name);

// A COPY source: the directory holding it (inside the context) and its name there.
struct ContextSource {
    Fd parent;          // O_PATH
    std::string name;   // "." when the source is the context itself
    std::string shown;  // as the Glassfile wrote it, for messages
};

// COPY's SRC `argument` in `context`: leading "/" ignored, its directories resolved with the
// context as root (a symlink among them cannot lead out; without openat2 it is refused), its
// last component not followed. BadInput starting with `where` ("Glassfile:3") when it leaves
// the context or names nothing there.
ContextSource resolve_context_source(const Fd& context, const std::string& argument, const std::string& where);

// The source's digest for the build cache: each entry's path relative to the source ("." for
// the source itself, then its tree depth first, names sorted), file type and permission bits,
// and file bytes or symlink target — not times or owners, which COPY does not keep.
std::string sha256_context_source(const ContextSource& source);

enum class IntoDirectory {
    No,
    Yes
};

// Copies the source to `target`: a directory's contents into `target` (made when missing); a
// file or symlink to `target`, or into it when `into` is Yes or `target` is a directory.
// Symlinks are copied as symlinks; files keep their permission bits and holes; what `target`
// already has is replaced, except that directories merge. Devices, FIFOs and sockets are
// BadInput. `target` is resolved as the calling process sees the file system: build.cpp calls
// this chrooted into the image, so symlinks on the destination side stay inside the image.
void copy_context_source(const ContextSource& source, const std::filesystem::path& target, IntoDirectory into);

}  // namespace glassvm::image
