// Content-addressed layers, each stored once under the store root:
//   <root>/layers/<hex>/layer.tar   the layer as an OCI tar (whiteouts as .wh.NAME, .wh..wh..opq)
//   <root>/layers/<hex>/fs/         the layer unpacked for overlayfs (0/0 devices, opaque xattrs)
// <hex> is the sha256 of layer.tar. A layer is unpacked in <root>/tmp/ and renamed into place,
// so a layer directory that exists is complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "image/layer_tar.hpp"

namespace glassvm::image {

class LayerStore {
public:
    explicit LayerStore(std::filesystem::path root);

    // Stores the tar as a layer and returns its digest ("sha256:…"); a tar already stored is
    // not stored again.
    std::string import_tar(const std::filesystem::path& tar);
    // An overlay upper directory (after RUN or COPY) → a deterministic layer tar of at most
    // `size_limit` bytes (write_layer_tar; over it, a BadInput error and nothing kept) → stored
    // as import_tar does, the tar moved into place rather than copied.
    std::string import_directory_diff(const std::filesystem::path& upper,
                                      std::uint64_t size_limit = kDefaultLayerSizeLimit);

    bool contains(const std::string& digest) const;
    // The layer's fs/ directory; throws BadInput for a digest the store does not hold.
    std::filesystem::path directory(const std::string& digest) const;
    // The layer's layer.tar; throws as directory() does.
    std::filesystem::path tar_path(const std::string& digest) const;
    // Every stored layer's digest, sorted.
    std::vector<std::string> list() const;
    // Deletes the layer (the caller makes sure no image uses it); an unknown digest is ignored.
    void remove(const std::string& digest);

private:
    enum class KeepTar {
        Copy,
        Move
    };
    std::string store_tar(const std::filesystem::path& tar, KeepTar keep);
    std::filesystem::path layer_root(const std::string& digest) const;
    std::filesystem::path m_root;  // the store root; layers live in m_root / "layers"
};

}  // namespace glassvm::image
