// The image store's default location (store_root.hpp).
#include "image/store_root.hpp"

#include <unistd.h>

#include <cstdlib>

#include "core/error.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

fs::path default_store_root() {
    if (const char* store = std::getenv("GLASSVM_STORE"); store && *store) return fs::absolute(store);
    if (::geteuid() == 0) return "/var/lib/glassvm";
    if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data) return fs::path(data) / "glassvm";
    const char* home = std::getenv("HOME");
    if (!home || !*home) throw_bad_input("no image store: set GLASSVM_STORE or HOME, or give --store DIR");
    return fs::path(home) / ".local/share/glassvm";
}

fs::path store_root(const std::string& option) { return option.empty() ? default_store_root() : fs::absolute(option); }

}  // namespace glassvm::image
