// Where the image store lives when no --store option says: $GLASSVM_STORE, else
// /var/lib/glassvm for root, else $XDG_DATA_HOME/glassvm (~/.local/share/glassvm).
#pragma once

#include <filesystem>
#include <string>

namespace glassvm::image {

std::filesystem::path default_store_root();

// `option` when not empty, default_store_root() otherwise.
std::filesystem::path store_root(const std::string& option);

}  // namespace glassvm::image
