// Scoped temporary directories (temporary.hpp).
#include "image/temporary.hpp"

#include <stdlib.h>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

TemporaryDirectory::TemporaryDirectory(const fs::path& parent, const std::string& prefix) {
    fs::create_directories(parent);
    std::string pattern = (parent / (prefix + "-XXXXXX")).string();
    check_syscall(fmt::format("mkdtemp {}", pattern), ::mkdtemp(pattern.data()) == nullptr ? -1 : 0);
    m_path = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
    if (m_path.empty()) return;
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
}

}  // namespace glassvm::image
