// The daemon's state is the daemon's alone (containerd keeps its state directories 0700 too):
// a box's upper directory may hold a setuid root file or a device node the box made, and an
// instance's records hold its env. So the state root, <root>/instances and every instance
// directory are 0700, set explicitly whatever the umask, and existing ones are tightened.
#pragma once

#include <filesystem>

namespace glassvm::daemon {

// Creates `directory` (and missing parents, as create_directories does) mode 0700 whatever the
// umask; an existing one is tightened to 0700, saying so on stderr (the daemon's log). Throws when
// it is a symlink or another user's.
void make_private_directory(const std::filesystem::path& directory);

}  // namespace glassvm::daemon
