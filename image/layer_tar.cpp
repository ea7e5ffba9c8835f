// libarchive failures as glassvm Errors; the two whiteout forms (layer_tar.hpp).
#include "image/layer_tar.hpp"

#include <fmt/format.h>

#include <sys/sysmacros.h>
#include "base/error.hpp"

namespace glassvm::image {

void check_archive(std::string_view operation, struct archive* archive, int status) {
    if (status >= ARCHIVE_WARN) return;
    const char* message = archive_error_string(archive);
    throw Error(ErrorKind::System, fmt::format("{}: {}", operation, message ? message : "libarchive failed"));
}

WhiteoutKind classify_tar_name(std::string_view base_name) {
    if (base_name == kOpaqueMarker) return WhiteoutKind::Opaque;
    if (base_name.starts_with(kWhiteoutPrefix)) return WhiteoutKind::Whiteout;
    return WhiteoutKind::None;
}

std::string whiteout_target(std::string_view base_name) {
    std::string_view name = base_name.substr(kWhiteoutPrefix.size());
    if (!base_name.starts_with(kWhiteoutPrefix) || name.empty() || name == "." || name == "..")
        throw_bad_input("layer tar: '{}' is not a whiteout of a name", base_name);
    return std::string(name);
}

std::string whiteout_tar_name(std::string_view name) { return std::string(kWhiteoutPrefix) + std::string(name); }

bool is_overlay_whiteout(const struct stat& status) {
    return S_ISCHR(status.st_mode) && major(status.st_rdev) == 0 && minor(status.st_rdev) == 0;
}

}  // namespace glassvm::image
