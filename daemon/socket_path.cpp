// The default API socket path: see socket_path.hpp.
#include "daemon/socket_path.hpp"

#include <unistd.h>

#include <cstdlib>

namespace glassvm::daemon {

std::filesystem::path default_socket_path() {
    const char* socket = std::getenv("GLASSVM_SOCKET");
    if (socket != nullptr && *socket != '\0') return socket;
    if (::geteuid() == 0) return "/run/glassvm/glassvm.sock";
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime != nullptr && *runtime != '\0') return std::filesystem::path(runtime) / "glassvm.sock";
    return "/tmp/glassvm-" + std::to_string(::geteuid()) + "/glassvm.sock";
}

std::filesystem::path socket_path(const std::string& option) {
    return option.empty() ? default_socket_path() : std::filesystem::path(option);
}

}  // namespace glassvm::daemon
