// A lock over the image store (flock(2) on <root>/lock): builds hold it shared while they use
// layers, `ImageStore::remove` holds it exclusive while it deletes them, so a removal never
// pulls a layer from under a build. Released when the object goes away.
#pragma once

#include <filesystem>

#include "base/fd.hpp"

namespace glassvm::image {

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

}  // namespace glassvm::image
