// Files the image unit tests make and read: a fresh scratch directory under $TMPDIR per test
// (named by the test and the process, as tests run in parallel), text in and out.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace glassvm::test {

// $TMPDIR/glassvm-unit-NAME-PID, emptied.
inline std::filesystem::path scratch_directory(const std::string& name) {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("glassvm-unit-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
    return path;
}

// Writes `text` to `path`, making its directory.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace glassvm::test
