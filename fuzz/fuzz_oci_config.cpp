// libFuzzer target: OCI config.json parsing (container/oci_bundle.hpp). Any text either is
// refused with a glassvm::Error (BadInput) or becomes a ContainerConfig; anything else — a
// crash, a sanitizer report, an nlohmann::json exception escaping — is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/error.hpp"
#include "container/oci_bundle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        glassvm::container::ContainerConfig config =
            glassvm::container::parse_oci_config(text, "/bundles/fuzz", "fuzz/config.json");
        if (config.rootfs.empty()) std::abort();  // root.path is required, so a config has one
    } catch (const glassvm::Error& error) {
        if (error.kind() != glassvm::ErrorKind::BadInput) std::abort();
    }
    return 0;
}
