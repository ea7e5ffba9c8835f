// Finding a file of an image on the host without mounting it: the top-most layer that has the
// path wins, and a whiteout or an opaque directory in a layer hides the layers below, as
// overlayfs would. VM images use it for their KERNEL and INIT (`glassvm run --kernel --init`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glassvm::image {

// The host path of `path_in_image` (absolute, no symlinks followed inside the image) in the
// layer directories given bottom first, or nothing when the image has no such entry.
std::optional<std::filesystem::path> find_in_layers(const std::vector<std::filesystem::path>& layers_bottom_first,
                                                    const std::string& path_in_image);

}  // namespace glassvm::image
