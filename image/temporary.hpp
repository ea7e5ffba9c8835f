// A directory that exists for one scope: made with mkdtemp under a parent, removed with
// everything in it when the owner goes away (unless released).
#pragma once

#include <filesystem>
#include <string>

namespace glassvm::image {

class TemporaryDirectory {
public:
    // parent/<prefix>-XXXXXX; the parent is created when missing.
    TemporaryDirectory(const std::filesystem::path& parent, const std::string& prefix);
    ~TemporaryDirectory();
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    // Keeps the directory (it was renamed into place, say).
    void release() { m_path.clear(); }

private:
    std::filesystem::path m_path;
};

}  // namespace glassvm::image
