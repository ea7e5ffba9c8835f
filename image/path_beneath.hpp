// Opening a path below a directory descriptor without ever leaving that directory (and reading
// directories and symlinks by descriptor): openat2(2)
// with RESOLVE_IN_ROOT and RESOLVE_NO_MAGICLINKS (Linux 5.6 and later), or, where the kernel
// lacks openat2 (ENOSYS), a walk one component at a time with O_NOFOLLOW. The layer unpacker
// (hostile tars) and COPY's source resolution (build contexts holding anyone's symlinks) open
// every directory they work in through this, then act relative to the descriptor with *at()
// calls, so no symlink planted in the tree can take an operation outside it — the approach of
// containerd's and umoci's unpackers (securejoin, then fd-relative operations).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace glassvm::image {

enum class Symlinks {
    // Any symlink on the way is an error (ELOOP or ENOTDIR), the last component's too — except
    // that with O_PATH | O_NOFOLLOW in the flags a last-component symlink is opened itself.
    Refuse,
    // Symlinks are followed, but resolved as if `directory` were "/" (RESOLVE_IN_ROOT): an
    // absolute target or a ".." starts again at `directory`. Without openat2, refused as above.
    InRoot,
};

// Opens `relative` below the directory `directory` with `flags` (no O_CREAT; O_CLOEXEC is added) and returns
// the new descriptor, or -1 with errno set as openat(2) would: callers name their operation in
// the Error. "" and "." open `directory` itself again. `relative` must be relative; a ".."
// component never leaves `directory` (openat2 clamps it; the fallback refuses it with EXDEV).
int open_beneath(int directory, std::string_view relative, int flags, Symlinks symlinks);

// The names in the open directory `directory` (not "." and ".."), unsorted; all read before
// the caller changes the directory. Throws Error naming `what` when it cannot be read.
std::vector<std::string> directory_names(int directory, std::string_view what);

// The target of the symlink `name` in `directory`; throws Error naming `what`.
std::string read_link_at(int directory, const std::string& name, std::string_view what);

}  // namespace glassvm::image
