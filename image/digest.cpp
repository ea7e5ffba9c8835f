// SHA-256 through Nettle (the GnuTLS project's crypto library, which libarchive uses too).
#include "image/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>
#include <nettle/sha2.h>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "sha256:";

// One running SHA-256 computation (FIPS 180-4), by Nettle: plain functions over a context
// struct, no global state and nothing run at program start.
class Sha256 {
public:
    Sha256() { sha256_init(&m_context); }
    void add(const void* data, size_t size) { sha256_update(&m_context, size, static_cast<const uint8_t*>(data)); }
    void add(std::string_view text) { add(text.data(), text.size()); }
    std::string finish() {
        std::array<uint8_t, SHA256_DIGEST_SIZE> bytes{};
        sha256_digest(&m_context, bytes.size(), bytes.data());
        std::string text(kPrefix);
        for (uint8_t byte : bytes) text += fmt::format("{:02x}", byte);
        return text;
    }

private:
    struct sha256_ctx m_context;
};

void add_file(Sha256& sha, const fs::path& path) {
    Fd file(check_syscall(fmt::format("open {}", path.string()), ::open(path.c_str(), O_RDONLY | O_CLOEXEC)));
    std::vector<char> buffer(1 << 16);
    for (;;) {
        ssize_t count = check_syscall(fmt::format("read {}", path.string()), ::read(file.get(), buffer.data(), buffer.size()));
        if (count == 0) return;
        sha.add(buffer.data(), static_cast<size_t>(count));
    }
}

// One entry of the tree: "<relative path>\0<type> <mode>\0" then its data or link target.
void add_tree_entry(Sha256& sha, const fs::path& path, const std::string& relative) {
    struct stat status {};
    check_syscall(fmt::format("lstat {}", path.string()), ::lstat(path.c_str(), &status));
    sha.add(relative);
    sha.add(fmt::format("\0{:o}\0", status.st_mode));
    if (S_ISREG(status.st_mode)) add_file(sha, path);
    if (S_ISLNK(status.st_mode)) sha.add(fs::read_symlink(path).string());
    sha.add(std::string_view("\0", 1));
}

}  // namespace

std::string sha256_file(const fs::path& path) {
    Sha256 sha;
    add_file(sha, path);
    return sha.finish();
}

std::string sha256_bytes(std::string_view bytes) {
    Sha256 sha;
    sha.add(bytes);
    return sha.finish();
}

std::string sha256_tree(const fs::path& path) {
    Sha256 sha;
    add_tree_entry(sha, path, ".");
    if (fs::is_directory(fs::symlink_status(path))) {
        std::vector<std::string> entries;
        for (const auto& entry : fs::recursive_directory_iterator(path))
            entries.push_back(entry.path().lexically_relative(path).string());
        std::sort(entries.begin(), entries.end());
        for (const std::string& relative : entries) add_tree_entry(sha, path / relative, relative);
    }
    return sha.finish();
}

bool is_digest(std::string_view text) {
    if (!text.starts_with(kPrefix) || text.size() != kPrefix.size() + 64) return false;
    return std::all_of(text.begin() + kPrefix.size(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string digest_hex(std::string_view digest) {
    if (!is_digest(digest)) throw_bad_input("'{}' is not a sha256 digest (sha256: and 64 lowercase hex digits)", digest);
    return std::string(digest.substr(kPrefix.size()));
}

}  // namespace glassvm::image
