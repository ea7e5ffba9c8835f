// Deletions in a layer, in the two forms glassvm converts between (OCI image spec,
// "Whiteouts"; Linux Documentation/filesystems/overlayfs.rst, "whiteouts and opaque
// directories"):
//   in a layer tar (OCI)      `DIR/.wh.NAME`        NAME is deleted from the layers below
//                             `DIR/.wh..wh..opq`    DIR hides everything the layers below put in it
//   on disk for overlayfs     DIR/NAME as a character device 0/0
//                             DIR with the xattr trusted.overlay.opaque = "y"
#pragma once

#include <string>
#include <string_view>

#include <sys/stat.h>

namespace glassvm::image {

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
inline constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

enum class WhiteoutKind {
    None,
    Whiteout,
    Opaque
};

// What a tar entry's base name says: a deletion of another name, an opaque marker, or neither.
WhiteoutKind classify_tar_name(std::string_view base_name);

// For `.wh.NAME`, NAME; throws BadInput when NAME is empty, "." or "..".
std::string whiteout_target(std::string_view base_name);

// `.wh.` + NAME: the tar entry that deletes NAME.
std::string whiteout_tar_name(std::string_view name);

// Whether an lstat() result is overlayfs's whiteout: a character device with device number 0/0.
bool is_overlay_whiteout(const struct stat& status);

}  // namespace glassvm::image
