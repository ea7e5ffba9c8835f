// Resolving paths without leaving a directory (image/path_beneath.hpp) and the build context
// read through it (image/context_source.hpp): symlinks pointing out are refused or resolved
// inside, with openat2 and — in a child whose seccomp filter answers openat2 with ENOSYS, as
// on a kernel before 5.6 — with the O_NOFOLLOW walk that replaces it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "base/fd.hpp"
#include "error_matchers.hpp"
#include "image/context_source.hpp"
#include "image/path_beneath.hpp"
#include "scratch_files.hpp"
#include "without_openat2.hpp"

namespace fs = std::filesystem;
using namespace glassvm::image;
using glassvm::Fd;
using glassvm::test::IsBadInput;
using glassvm::test::read_text;
using glassvm::test::scratch_directory;
using glassvm::test::without_openat2;
using glassvm::test::write_text;

namespace {

// DIR/context with inside/file, symlinks leading out of it (absolute, relative through "..")
// and one staying in; DIR/outside/secret beside it.
struct Context {
    fs::path directory, context;
    explicit Context(const std::string& name) : directory(scratch_directory(name)), context(directory / "context") {
        write_text(context / "inside/file", "inside\n");
        write_text(directory / "outside/secret", "secret\n");
        fs::create_directory_symlink(directory / "outside", context / "absolute");
        fs::create_directory_symlink("../outside", context / "up");
        fs::create_directory_symlink("inside", context / "staying");
        fs::create_symlink("../outside/secret", context / "inside/secret-link");
    }
    ~Context() { fs::remove_all(directory); }
};

// BadInput containing `part`, or a description of what happened instead.
std::string expect_bad_input(const std::function<void()>& action, const std::string& part) {
    try {
        action();
        return "no error (expected one with '" + part + "')";
    } catch (const glassvm::Error& error) {
        if (error.kind() == glassvm::ErrorKind::BadInput && std::string(error.what()).find(part) != std::string::npos)
            return "";
        return std::string("wrong error: ") + error.what();
    }
}

}  // namespace

TEST_CASE("path beneath: symlinks are refused or resolved inside, never followed out", "[image]") {
    Context c("beneath");
    Fd root(::open(c.context.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(root);
    Fd file(open_beneath(root.get(), "inside/file", O_RDONLY, Symlinks::Refuse));
    CHECK(file);
    CHECK(open_beneath(root.get(), "absolute/secret", O_RDONLY, Symlinks::Refuse) == -1);
    CHECK(errno == ELOOP);
    CHECK(open_beneath(root.get(), "staying/file", O_RDONLY, Symlinks::Refuse) == -1);
    // InRoot: the absolute and the ".." symlink start again at the context, which has no secret.
    CHECK(open_beneath(root.get(), "absolute/secret", O_RDONLY, Symlinks::InRoot) == -1);
    CHECK(errno == ENOENT);
    CHECK(open_beneath(root.get(), "up/secret", O_RDONLY, Symlinks::InRoot) == -1);
    CHECK(errno == ENOENT);
    CHECK(open_beneath(root.get(), "inside/secret-link", O_RDONLY, Symlinks::InRoot) == -1);
    Fd staying(open_beneath(root.get(), "staying/file", O_RDONLY, Symlinks::InRoot));
    CHECK(staying);
    CHECK(open_beneath(root.get(), "/etc/passwd", O_RDONLY, Symlinks::InRoot) == -1);
}

TEST_CASE("path beneath: without openat2 the walk refuses every symlink on the way", "[image]") {
    Context c("beneath-fallback");
    std::string outcome = without_openat2([&]() -> std::string {
        Fd root(::open(c.context.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (::syscall(SYS_openat2, root.get(), "inside", nullptr, 0) != -1 || errno != ENOSYS)
            return "openat2 is not blocked";
        Fd file(open_beneath(root.get(), "inside/file", O_RDONLY, Symlinks::Refuse));
        if (!file) return "inside/file did not open";
        if (read_text("/proc/self/fd/" + std::to_string(file.get())) != "inside\n") return "inside/file read wrong";
        for (const char* path :
             {"absolute/secret", "up/secret", "staying/file", "inside/secret-link", "inside/../../outside/secret"})
            for (Symlinks symlinks : {Symlinks::Refuse, Symlinks::InRoot})
                if (open_beneath(root.get(), path, O_RDONLY, symlinks) != -1) return std::string(path) + " opened";
        return "";
    });
    CHECK(outcome == "");
}

TEST_CASE("build context: COPY sources stay inside the context, with and without openat2", "[image]") {
    Context c("context");
    auto check_refusals = [&]() -> std::string {
        Fd context = open_context(c.context);
        for (const char* source : {"absolute/secret", "up/secret", "inside/secret-link/x", "up/../outside/secret"}) {
            std::string wrong =
                expect_bad_input([&] { resolve_context_source(context, source, "Glassfile:2"); }, "does not exist");
            if (!wrong.empty()) return std::string(source) + ": " + wrong;
        }
        std::string wrong =
            expect_bad_input([&] { resolve_context_source(context, "../outside/secret", "Glassfile:2"); },
                             "outside the build directory");
        if (!wrong.empty()) return "../outside/secret: " + wrong;
        if (read_context_file(context, "up/secret") || read_context_file(context, "absolute/secret"))
            return "read a file outside";
        // Copying a directory copies the symlink that points out as a symlink.
        fs::path target = c.directory / ("target-" + std::to_string(::getpid()));
        copy_context_source(resolve_context_source(context, "inside", "Glassfile:2"), target, IntoDirectory::No);
        if (read_text(target / "file") != "inside\n") return "inside/file was not copied";
        if (!fs::is_symlink(target / "secret-link") || fs::read_symlink(target / "secret-link") != "../outside/secret")
            return "the symlink was not copied as a symlink";
        fs::remove_all(target);
        return "";
    };
    CHECK(check_refusals() == "");
    CHECK(without_openat2(check_refusals) == "");
    // Within the context a symlink among the directories is followed (as BuildKit does) where
    // openat2 can keep it inside; without openat2 it is refused.
    Fd context = open_context(c.context);
    ContextSource staying = resolve_context_source(context, "staying/file", "Glassfile:2");
    CHECK(staying.name == "file");
    CHECK(without_openat2([&]() -> std::string {
              Fd again = open_context(c.context);
              return expect_bad_input([&] { resolve_context_source(again, "staying/file", "Glassfile:2"); },
                                      "does not exist");
          }) == "");
}

TEST_CASE("build context: COPY keeps permission bits and holes, and refuses devices", "[image]") {
    Context c("context-copy");
    write_text(c.context / "tool", "#!/bin/sh\n");
    fs::permissions(c.context / "tool", fs::perms(0750));
    {
        Fd sparse(::open((c.context / "sparse").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        REQUIRE(::ftruncate(sparse.get(), off_t(64) << 20) == 0);
        REQUIRE(::pwrite(sparse.get(), "x", 1, off_t(32) << 20) == 1);
    }
    REQUIRE(::mkfifo((c.context / "fifo").c_str(), 0644) == 0);
    Fd context = open_context(c.context);
    fs::create_directories(c.directory / "target");
    copy_context_source(resolve_context_source(context, "tool", "Glassfile:2"), c.directory / "target",
                        IntoDirectory::No);
    CHECK(fs::status(c.directory / "target/tool").permissions() == fs::perms(0750));
    copy_context_source(resolve_context_source(context, "/sparse", "Glassfile:3"), c.directory / "target/copy",
                        IntoDirectory::No);
    struct stat status {};
    REQUIRE(::stat((c.directory / "target/copy").c_str(), &status) == 0);
    CHECK(status.st_size == off_t(64) << 20);
    CHECK(status.st_blocks * 512 < (1 << 20));
    ContextSource fifo = resolve_context_source(context, "fifo", "Glassfile:4");
    CHECK_THROWS_MATCHES(copy_context_source(fifo, c.directory / "target/fifo", IntoDirectory::No), glassvm::Error,
                         IsBadInput("is a device, FIFO or socket"));
    CHECK_THROWS_MATCHES(sha256_context_source(fifo), glassvm::Error, IsBadInput("is a device, FIFO or socket"));
}
