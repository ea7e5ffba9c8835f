// Where the daemon listens when no --socket says: GLASSVM_SOCKET, else
// /run/glassvm/glassvm.sock as root, else $XDG_RUNTIME_DIR/glassvm.sock (the user's own
// directory, 0700, made by the login manager), else /tmp/glassvm-UID/glassvm.sock. In /tmp any
// user could have made that directory or a socket first: the client refuses a socket, or a
// socket's directory, that neither its user nor root owns (check_socket_owner, api_client.hpp).
// The store root's default is image::default_store_root().
#pragma once

#include <filesystem>
#include <string>

namespace glassvm::daemon {

std::filesystem::path default_socket_path();

// `option` when not empty, default_socket_path() otherwise.
std::filesystem::path socket_path(const std::string& option);

}  // namespace glassvm::daemon
