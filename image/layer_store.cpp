// The layer store: tars named by their sha256, unpacked once for overlayfs (layer_store.hpp).
#include "image/layer_store.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/image_store.hpp"
#include "image/layer_tar.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

LayerStore::LayerStore(fs::path root) : m_root(std::move(root)) {}

fs::path LayerStore::layer_root(const std::string& digest) const { return m_root / "layers" / digest_hex(digest); }

bool LayerStore::contains(const std::string& digest) const {
    return is_digest(digest) && fs::is_directory(layer_root(digest) / "fs");
}

fs::path LayerStore::directory(const std::string& digest) const {
    if (!contains(digest)) throw_bad_input("the image store at {} has no layer {}", m_root.string(), digest);
    return layer_root(digest) / "fs";
}

fs::path LayerStore::tar_path(const std::string& digest) const {
    if (!contains(digest)) throw_bad_input("the image store at {} has no layer {}", m_root.string(), digest);
    return layer_root(digest) / "layer.tar";
}

std::string LayerStore::import_tar(const fs::path& tar) { return store_tar(tar, KeepTar::Copy); }

std::string LayerStore::import_directory_diff(const fs::path& upper, std::uint64_t size_limit) {
    TemporaryDirectory staging(m_root / "tmp", "diff");
    fs::path tar = staging.path() / "layer.tar";
    write_layer_tar(upper, tar, size_limit);
    return store_tar(tar, KeepTar::Move);
}

std::string LayerStore::store_tar(const fs::path& tar, KeepTar keep) {
    std::string digest = sha256_file(tar);
    if (contains(digest)) return digest;
    TemporaryDirectory staging(m_root / "tmp", "layer");
    fs::create_directory(staging.path() / "fs");
    unpack_layer_tar(tar, staging.path() / "fs");
    if (keep == KeepTar::Move)
        fs::rename(tar, staging.path() / "layer.tar");  // both under <root>/tmp: no second copy of a large layer
    else
        fs::copy_file(tar, staging.path() / "layer.tar");
    fs::create_directories(m_root / "layers");
    if (::rename(staging.path().c_str(), layer_root(digest).c_str()) != 0) {
        // Another process stored the same layer first: theirs is as good as ours.
        if (errno != EEXIST && errno != ENOTEMPTY)
            throw Error::from_errno(fmt::format("rename {} {}", staging.path().string(), layer_root(digest).string()),
                                    errno);
        return digest;
    }
    staging.release();
    return digest;
}

std::vector<std::string> LayerStore::list() const {
    std::vector<std::string> digests;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(m_root / "layers", error)) {
        std::string digest = "sha256:" + entry.path().filename().string();
        if (contains(digest)) digests.push_back(digest);
    }
    std::sort(digests.begin(), digests.end());
    return digests;
}

void LayerStore::remove(const std::string& digest) {
    if (!is_digest(digest)) return;
    // Renamed away first, so the layer vanishes at once and a half-deleted one is never seen.
    fs::path doomed = m_root / "tmp" / fmt::format("removed-{}-{}", digest_hex(digest), ::getpid());
    fs::create_directories(m_root / "tmp");
    if (::rename(layer_root(digest).c_str(), doomed.c_str()) != 0) {
        if (errno == ENOENT) return;
        throw Error::from_errno(fmt::format("rename {}", layer_root(digest).string()), errno);
    }
    fs::remove_all(doomed);
}

}  // namespace glassvm::image
