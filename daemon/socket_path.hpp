// Where the daemon listens when no --socket says: GLASSVM_SOCKET, else
// /run/glassvm/glassvm.sock as root, else $XDG_RUNTIME_DIR/glassvm.sock (/tmp/glassvm-UID.sock
// when that is unset). The store root's default is image::default_store_root().
#pragma once

#include <filesystem>
#include <string>

namespace glassvm::daemon {

std::filesystem::path default_socket_path();

// `option` when not empty, default_socket_path() otherwise.
std::filesystem::path socket_path(const std::string& option);

}  // namespace glassvm::daemon
