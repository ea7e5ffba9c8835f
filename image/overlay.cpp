// Mounting and unmounting an instance's overlayfs (overlay.hpp).
#include "image/overlay.hpp"

#include <sys/mount.h>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

void require_plain(const fs::path& path) {
    if (path.string().find_first_of(":,") != std::string::npos)
        throw_bad_input("overlayfs cannot use '{}': its mount options cannot carry ':' or ','", path.string());
}

}  // namespace

std::string overlay_options(const std::vector<fs::path>& lower_bottom_first, const fs::path& upper,
                            const fs::path& work) {
    if (lower_bottom_first.empty()) throw Error(ErrorKind::Internal, "overlayfs needs at least one lower directory");
    std::string lower;
    for (auto layer = lower_bottom_first.rbegin(); layer != lower_bottom_first.rend(); ++layer) {
        require_plain(*layer);
        if (!lower.empty()) lower += ':';
        lower += layer->string();
    }
    require_plain(upper);
    require_plain(work);
    // No index, redirects or metadata-only copy-ups: the upper directory must hold plain files,
    // whiteouts and opaque directories only, so that it can become a layer tar.
    return fmt::format("lowerdir={},upperdir={},workdir={},index=off,redirect_dir=off,metacopy=off", lower,
                       upper.string(), work.string());
}

OverlayMount::OverlayMount(std::vector<fs::path> lower_bottom_first, fs::path upper, fs::path work, fs::path merged)
        : m_upper(std::move(upper)), m_merged(std::move(merged)) {
    for (const fs::path& directory : {m_upper, work, m_merged}) fs::create_directories(directory);
    std::string options = overlay_options(lower_bottom_first, m_upper, work);
    if (options.size() >= 4096)
        throw_bad_input("overlayfs: {} layers make mount options longer than a page; the image has too many layers",
                        lower_bottom_first.size());
    check_syscall(fmt::format("mount overlay on {}", m_merged.string()),
                  ::mount("overlay", m_merged.c_str(), "overlay", 0, options.c_str()));
}

OverlayMount::~OverlayMount() {
    if (::umount2(m_merged.c_str(), 0) != 0) ::umount2(m_merged.c_str(), MNT_DETACH);
}

}  // namespace glassvm::image
