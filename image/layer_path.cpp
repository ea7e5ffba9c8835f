// Looking a path up through an image's layers the way overlayfs would (layer_path.hpp).
#include "image/layer_path.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include "base/error.hpp"
#include "image/layer_tar.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

enum class LayerAnswer {
    Found,
    Hidden,
    Absent
};

bool is_opaque(const fs::path& directory) {
    char value[2] = {};
    return ::lgetxattr(directory.c_str(), kOpaqueXattr, value, sizeof value) == 1 && value[0] == 'y';
}

// What one layer says about `relative`: it has it, it hides it from the layers below (a
// whiteout or an opaque directory on the way), or it knows nothing of it.
LayerAnswer look_in_layer(const fs::path& layer, const fs::path& relative) {
    fs::path path = layer;
    LayerAnswer below = LayerAnswer::Absent;
    for (const fs::path& part : relative) {
        path /= part;
        struct stat status {};
        if (::lstat(path.c_str(), &status) != 0) return below;
        if (is_overlay_whiteout(status)) return LayerAnswer::Hidden;
        if (path != layer / relative && !S_ISDIR(status.st_mode)) return LayerAnswer::Hidden;
        if (S_ISDIR(status.st_mode) && is_opaque(path)) below = LayerAnswer::Hidden;
    }
    return LayerAnswer::Found;
}

}  // namespace

std::optional<fs::path> find_in_layers(const std::vector<fs::path>& layers_bottom_first,
                                       const std::string& path_in_image) {
    fs::path relative = fs::path(path_in_image).relative_path().lexically_normal();
    if (!fs::path(path_in_image).is_absolute() || relative.empty() || *relative.begin() == "..")
        throw_bad_input("'{}' is not an absolute path inside the image", path_in_image);
    for (auto layer = layers_bottom_first.rbegin(); layer != layers_bottom_first.rend(); ++layer) {
        switch (look_in_layer(*layer, relative)) {
            case LayerAnswer::Found:
                return *layer / relative;
            case LayerAnswer::Hidden:
                return std::nullopt;
            case LayerAnswer::Absent:
                break;
        }
    }
    return std::nullopt;
}

}  // namespace glassvm::image
