// libFuzzer target: COPY's source resolution, digest and copy (image/context_source.hpp), with
// the host as the oracle (host_oracle.hpp). Each input describes a build context, made in
// context/ inside /tmp/glassvm-fuzz-copy beside a file and a directory holding a secret (and
// symlinks to them), then COPY steps copied into out/N. One line each:
//   d PATH            directory              f PATH [DATA]     file
//   l PATH TARGET     symlink (TARGET anything: "/tmp/glassvm-fuzz-copy/outside-dir", "../..")
//   copy SRC [/]      resolve SRC, digest it, copy it to out/N ("/": into out/N/)
// Nothing beside context/ and out/ may be opened, read, changed or followed — no byte of the
// secret may reach out/ nor be read for the digest (inotify sees the open, the atime the
// follow) — or the target aborts. A glassvm::Error or a std::filesystem error is a refusal.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "host_oracle.hpp"
#include "image/context_source.hpp"
#include "image/path_beneath.hpp"

namespace {

namespace fs = std::filesystem;
namespace image = glassvm::image;
using glassvm::Fd;

constexpr const char* kSecret = "glassvm-fuzz-secret";

glassvm::fuzz::HostOracle& oracle() {
    static glassvm::fuzz::HostOracle instance("/tmp/glassvm-fuzz-copy", {"context", "out"}, kSecret);
    return instance;
}

// Makes one entry of the context, never through a symlink (the context is the input; making it
// must not be what escapes). Bad paths are skipped.
void make_entry(const Fd& context, const std::string& kind, const std::string& path, const std::string& argument) {
    fs::path relative = fs::path(path).lexically_normal();
    if (relative.is_absolute() || relative.empty()) return;
    for (const fs::path& part : relative)
        if (part == ".." || part == ".") return;
    Fd parent(image::open_beneath(context.get(), relative.parent_path().string(), O_PATH | O_DIRECTORY,
                                  image::Symlinks::Refuse));
    if (!parent) return;
    std::string name = relative.filename().string();
    if (kind == "d") {
        (void)::mkdirat(parent.get(), name.c_str(), 0755);
    } else if (kind == "f") {
        Fd file(::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (file && ::write(file.get(), argument.data(), argument.size()) < 0) std::abort();
    } else if (kind == "l") {
        (void)::symlinkat(argument.c_str(), parent.get(), name.c_str());
    }
}

// Whether any regular file below `directory` holds the secret (nothing followed on the way).
bool holds_secret(const fs::path& directory) {
    std::error_code error;
    for (auto entry = fs::recursive_directory_iterator(directory, error);
         !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
        // symlink_status, not is_regular_file(): a copied symlink may point at the bait, and
        // following it here would be the harness touching the host (the oracle caught that).
        if (!fs::is_regular_file(entry->symlink_status(error)) || error) continue;
        Fd file(::open(entry->path().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        std::string content;
        char buffer[4096];
        for (ssize_t count; file && (count = ::read(file.get(), buffer, sizeof buffer)) > 0;)
            content.append(buffer, static_cast<size_t>(count));
        if (content.find(kSecret) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    if (input.find(kSecret) != std::string::npos) return 0;  // the input may not bring the secret itself
    glassvm::fuzz::HostOracle& host = oracle();
    host.before_input();
    Fd context(::open(host.work("context").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!context) std::abort();
    std::istringstream lines(input);
    int copies = 0;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string kind, path, argument;
        words >> kind >> path >> argument;
        if (kind != "copy") {
            make_entry(context, kind, path, argument);
            continue;
        }
        if (path.empty() || copies == 16) continue;
        try {
            image::ContextSource source = image::resolve_context_source(context, path, "Glassfile:1");
            (void)image::sha256_context_source(source);
            image::copy_context_source(source, host.work("out") / std::to_string(copies++),
                                       argument == "/" ? image::IntoDirectory::Yes : image::IntoDirectory::No);
        } catch (const glassvm::Error&) {
        } catch (const fs::filesystem_error&) {}
    }
    host.after_input();
    if (holds_secret(host.work("out"))) {
        std::fprintf(stderr, "==host-oracle== the secret from outside the context was copied into out/\n");
        std::abort();
    }
    return 0;
}
