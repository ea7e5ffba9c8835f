// libarchive failures as glassvm Errors (layer_tar.hpp).
#include "image/layer_tar.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm::image {

void check_archive(std::string_view operation, struct archive* archive, int status) {
    if (status >= ARCHIVE_WARN) return;
    const char* message = archive_error_string(archive);
    throw Error(ErrorKind::System, fmt::format("{}: {}", operation, message ? message : "libarchive failed"));
}

}  // namespace glassvm::image
