// SHA-256 digests as OCI writes them, "sha256:<64 lowercase hex>", computed with Nettle. Layers are named by the digest of their tar, images by the digest of their
// canonical JSON, build steps by the digest of what they depend on.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace glassvm::image {

// "sha256:…" of a file's bytes. Throws glassvm::Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

// "sha256:…" of `bytes`.
std::string sha256_bytes(std::string_view bytes);

// A digest of a file or directory tree's content for the build cache: every entry's relative
// path (sorted), type, permission bits and data (files) or target (symlinks). Timestamps and
// owners are left out: they do not change what COPY puts in a layer.
std::string sha256_tree(const std::filesystem::path& path);

// The 64 hex digits of "sha256:<hex>"; throws BadInput when `digest` is not of that form.
std::string digest_hex(std::string_view digest);

// Whether `text` is "sha256:" followed by 64 lowercase hex digits.
bool is_digest(std::string_view text);

}  // namespace glassvm::image
