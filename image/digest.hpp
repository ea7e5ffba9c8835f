// SHA-256 digests as OCI writes them, "sha256:<64 lowercase hex>", computed with Nettle. Layers are named by the digest of their tar, images by the digest of their
// canonical JSON, build steps by the digest of what they depend on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nettle/sha2.h>

namespace glassvm::image {

// One running SHA-256 computation (FIPS 180-4), by Nettle: plain functions over a context
// struct, no global state and nothing run at program start.
class Sha256 {
public:
    Sha256() { sha256_init(&m_context); }
    void add(const void* data, size_t size) { sha256_update(&m_context, size, static_cast<const uint8_t*>(data)); }
    void add(std::string_view text) { add(text.data(), text.size()); }
    // "sha256:…" of everything added.
    std::string finish();

private:
    struct sha256_ctx m_context;
};

// "sha256:…" of a file's bytes. Throws glassvm::Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

// "sha256:…" of `bytes`.
std::string sha256_bytes(std::string_view bytes);

// The 64 hex digits of "sha256:<hex>"; throws BadInput when `digest` is not of that form.
std::string digest_hex(std::string_view digest);

// Whether `text` is "sha256:" followed by 64 lowercase hex digits.
bool is_digest(std::string_view text);

}  // namespace glassvm::image
