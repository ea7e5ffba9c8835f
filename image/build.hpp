// `glassvm build`: a Glassfile's steps → layers → an image. Each COPY and RUN step makes one
// layer from the upper directory of an overlay over the layers so far; a step whose cache key
// (its parent's key, its text, and for COPY the digest of its sources) has a stored layer is
// not run again. The cache is <root>/cache/<hex of the key> holding the layer's digest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "image/image_store.hpp"
#include "image/layer_tar.hpp"

namespace glassvm::image {

struct BuildStep {
    std::string instruction;  // the line as written
    std::string cache_key;    // "sha256:…"
    std::string layer;        // the layer it made or reused; empty for config-only steps
    bool cached = false;      // the layer came from the cache
};

struct BuildResult {
    Image image;
    std::vector<BuildStep> steps;
};

// Builds context_dir/Glassfile into an image named `name`, writing one line per step to
// `progress`. A RUN whose command fails ends the build with a BadInput error naming the line,
// and so does a step whose layer tar would pass `layer_size_limit` bytes (nothing of it kept).
// The Glassfile and COPY sources are read inside the context only (context_source.hpp).
BuildResult build_image(ImageStore& store, const std::filesystem::path& context_dir, std::string name,
                        std::ostream& progress, std::uint64_t layer_size_limit = kDefaultLayerSizeLimit);

}  // namespace glassvm::image
