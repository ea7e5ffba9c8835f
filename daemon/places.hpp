// Where the daemon keeps things. Its socket: when no --socket says, GLASSVM_SOCKET, else
// /run/glassvm/glassvm.sock as root, else $XDG_RUNTIME_DIR/glassvm.sock (the user's own
// directory, 0700, made by the login manager), else /tmp/glassvm-UID/glassvm.sock. In /tmp any
// user could have made that directory or a socket first: the client refuses a socket, or a
// socket's directory, that neither its user nor root owns (check_socket_owner, api_client.hpp).
// The store root's default is image::default_store_root(). Its state: the daemon's alone
// (containerd keeps its state directories 0700 too): a box's upper directory may hold a setuid
// root file or a device node the box made, and an instance's records hold its env. So the state
// root, <root>/instances and every instance directory are 0700, set explicitly whatever the
// umask, and existing ones are tightened.
#pragma once

#include <filesystem>
#include <string>

namespace glassvm::daemon {

std::filesystem::path default_socket_path();

// `option` when not empty, default_socket_path() otherwise.
std::filesystem::path socket_path(const std::string& option);

// Creates `directory` (and missing parents, as create_directories does) mode 0700 whatever the
// umask; an existing one is tightened to 0700, saying so on stderr (the daemon's log). Throws when
// it is a symlink or another user's.
void make_private_directory(const std::filesystem::path& directory);

}  // namespace glassvm::daemon
