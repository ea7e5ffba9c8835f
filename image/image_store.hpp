// Images on disk: <root>/images/<hex>.json, one file per image (the JSON of image.hpp), written
// atomically (a temporary file, fsync, rename); the layers in the LayerStore next to them.
// An image has at most one name: creating an image under a name another image holds takes
// the name away from that one (it stays, listed without a name, until removed). Also the
// store's lock (flock on <root>/lock: builds share it, removals take it alone) and the scratch
// directories work is done in before it is renamed into place.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "image/image.hpp"
#include "image/layer_store.hpp"

namespace glassvm::image {

class ImageStore {
public:
    // Creates <root>/{layers,images,cache,tmp} when missing.
    explicit ImageStore(std::filesystem::path root);

    const std::filesystem::path& root() const { return m_root; }
    LayerStore& layers() { return m_layers; }
    const LayerStore& layers() const { return m_layers; }

    // Records an image over stored layers (BadInput if one is missing) and returns it.
    Image create(std::string name, std::vector<std::string> layers, ImageConfig config);
    // Every image, by name (unnamed ones last, by id).
    std::vector<Image> list() const;
    // A full id, a unique prefix of at least 12 hex digits of one (with or without "sha256:"),
    // or a name ("name" means "name:latest").
    std::optional<Image> find(const std::string& name_or_id) const;
    // find(), or BadInput naming what was looked for.
    Image get(const std::string& name_or_id) const;
    // Removes the image and every layer of it no other image uses (BadInput if not found).
    // Waits while a build holds the store (StoreLock, below).
    void remove(const std::string& name_or_id);
    // A one-layer image from a root filesystem tar (or any OCI layer tar).
    Image import_rootfs_tar(std::string name, const std::filesystem::path& tar, ImageConfig config);
    // The fs/ directories of the image's layers, bottom first (what OverlayMount takes).
    std::vector<std::filesystem::path> layer_directories(const Image& image) const;
    std::vector<std::filesystem::path> layer_directories(const std::vector<std::string>& layers) const;

private:
    void write_image(const Image& image) const;
    void take_name_from_others(const std::string& name, const std::string& keeper_id) const;
    std::filesystem::path m_root;
    LayerStore m_layers;
};

// Where the image store lives when no --store option says: $GLASSVM_STORE, else
// /var/lib/glassvm for root, else $XDG_DATA_HOME/glassvm (~/.local/share/glassvm).
std::filesystem::path default_store_root();

// `option` when not empty, default_store_root() otherwise.
std::filesystem::path store_root(const std::string& option);

enum class LockMode {
    Shared,
    Exclusive
};

class StoreLock {
public:
    StoreLock(const std::filesystem::path& root, LockMode mode);

private:
    Fd m_file;  // closing it releases the lock
};

class TemporaryDirectory {
public:
    // parent/<prefix>-XXXXXX; the parent is created when missing.
    TemporaryDirectory(const std::filesystem::path& parent, const std::string& prefix);
    ~TemporaryDirectory();
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    // Keeps the directory (it was renamed into place, say).
    void release() { m_path.clear(); }

private:
    std::filesystem::path m_path;
};

}  // namespace glassvm::image
