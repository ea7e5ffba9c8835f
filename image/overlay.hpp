// An instance's root filesystem: overlayfs stacking an image's layers (read-only, shared by
// every instance) under the instance's own upper directory, which receives all its writes and
// deletions (Linux Documentation/filesystems/overlayfs.rst). Mounted for the object's lifetime.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace glassvm::image {

class OverlayMount {
public:
    // Lower directories bottom first (at least one: pass an empty directory for an image with
    // no layers); upper, work and merged are created if missing; merged is the mount point.
    // upper and work must be on one file system.
    OverlayMount(std::vector<std::filesystem::path> lower_bottom_first, std::filesystem::path upper,
                 std::filesystem::path work, std::filesystem::path merged);
    ~OverlayMount();  // unmounts (MNT_DETACH when busy)
    OverlayMount(const OverlayMount&) = delete;
    OverlayMount& operator=(const OverlayMount&) = delete;

    const std::filesystem::path& merged() const { return m_merged; }
    const std::filesystem::path& upper() const { return m_upper; }

private:
    std::filesystem::path m_upper;
    std::filesystem::path m_merged;
};

// The mount options: "lowerdir=TOP:…:BOTTOM,upperdir=…,workdir=…" (overlayfs lists the top-most
// lower directory first). BadInput when a path holds ':' or ',', which the option syntax
// cannot carry.
std::string overlay_options(const std::vector<std::filesystem::path>& lower_bottom_first,
                            const std::filesystem::path& upper, const std::filesystem::path& work);

}  // namespace glassvm::image
