// SHA-256 through Nettle (the GnuTLS project's crypto library, which libarchive uses too).
#include "image/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "sha256:";

void add_file(Sha256& sha, const fs::path& path) {
    Fd file(check_syscall(fmt::format("open {}", path.string()), ::open(path.c_str(), O_RDONLY | O_CLOEXEC)));
    std::vector<char> buffer(1 << 16);
    for (;;) {
        ssize_t count =
            check_syscall(fmt::format("read {}", path.string()), ::read(file.get(), buffer.data(), buffer.size()));
        if (count == 0) return;
        sha.add(buffer.data(), static_cast<size_t>(count));
    }
}

}  // namespace

std::string Sha256::finish() {
    std::array<uint8_t, SHA256_DIGEST_SIZE> bytes{};
    sha256_digest(&m_context, bytes.size(), bytes.data());
    std::string text(kPrefix);
    for (uint8_t byte : bytes) text += fmt::format("{:02x}", byte);
    return text;
}

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

bool is_digest(std::string_view text) {
    if (!text.starts_with(kPrefix) || text.size() != kPrefix.size() + 64) return false;
    return std::all_of(text.begin() + kPrefix.size(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string digest_hex(std::string_view digest) {
    if (!is_digest(digest))
        throw_bad_input("'{}' is not a sha256 digest (sha256: and 64 lowercase hex digits)", digest);
    return std::string(digest.substr(kPrefix.size()));
}

}  // namespace glassvm::image
