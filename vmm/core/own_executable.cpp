// own_executable(): AT_EXECFN through realpath(3), /proc/self/exe as the fallback.
#include "core/own_executable.hpp"

#include <sys/auxv.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "core/error.hpp"

namespace glassvm {

std::filesystem::path own_executable() {
    if (const auto* given = reinterpret_cast<const char*>(::getauxval(AT_EXECFN))) {
        char resolved[PATH_MAX];
        if (::realpath(given, resolved)) return resolved;
    }
    std::error_code error;
    std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) throw Error::from_errno("readlink /proc/self/exe", error.value());
    return path;
}

}  // namespace glassvm
