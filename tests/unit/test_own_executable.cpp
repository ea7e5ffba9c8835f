// own_executable() (base/subprocess.hpp): the path the kernel was given at execve,
// made canonical, names the same file /proc/self/exe does.
#include <catch2/catch.hpp>

#include <filesystem>

#include "base/subprocess.hpp"

TEST_CASE("own_executable is the canonical path of the running program, as /proc/self/exe says", "[core]") {
    std::filesystem::path path = glassvm::own_executable();
    CHECK(path.is_absolute());
    CHECK(path == std::filesystem::canonical(std::filesystem::read_symlink("/proc/self/exe")));
    CHECK(std::filesystem::equivalent(path, "/proc/self/exe"));
}
