// What the image tests share: a fresh store and build context per test under the build tree
// (never /var/lib/glassvm), the busybox rootfs copied into a context, and `glassvm … --store`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace glassvm::test {

// $TMPDIR/glassvm-image-tests/NAME (default /tmp), emptied; holds store/ and context/. Not in the
// build tree: a store's overlay upper directories need a filesystem overlayfs accepts as upper
// (tmpfs, ext4…), which a build tree shared into the KVM lab over 9p is not.
std::filesystem::path fresh_image_test_directory(const std::string& name);

// Writes `glassfile` to CONTEXT/Glassfile, and with CopyRootfs::Yes the box test rootfs to CONTEXT/rootfs.
enum class CopyRootfs {
    No,
    Yes
};
void make_context(const std::filesystem::path& context, const std::string& glassfile, CopyRootfs copy_rootfs);

void write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);

// `glassvm ARGS… --store STORE` (the store option goes after the subcommand's own arguments).
ProcessResult glassvm_with_store(const std::filesystem::path& store, std::vector<std::string> arguments);

// `glassvm build CONTEXT -t NAME --json --store STORE`, required to succeed; its JSON.
nlohmann::json build_json(const std::filesystem::path& store, const std::filesystem::path& context,
                          const std::string& name);

// `glassvm box run --image IMAGE --store STORE OPTIONS -- sh -c SCRIPT`.
ProcessResult run_in_image(const std::filesystem::path& store, const std::string& image, const std::string& script,
                           const std::vector<std::string>& options = {});

}  // namespace glassvm::test
