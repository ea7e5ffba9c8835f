// libFuzzer target: the bzImage / Linux boot-protocol parser (vmm/loader/bzimage.hpp). Any
// input either is refused with a glassvm::Error (BadInput) or parses into spans that lie
// inside the input, with a load address that does not wrap; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "base/error.hpp"
#include "vmm/loader/bzimage.hpp"

namespace {

bool inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> file(data, size);
    (void)glassvm::is_bzimage(file);
    try {
        glassvm::BzImage image = glassvm::parse_bzimage(file, "fuzz.bzImage");
        if (!inside(image.setup_header_bytes, file) || !inside(image.kernel, file)) std::abort();
        uint64_t load = glassvm::kernel_load_address(image.header);
        if (load + glassvm::kLinuxEntry64Offset < load) std::abort();
    } catch (const glassvm::Error& error) {
        if (error.kind() != glassvm::ErrorKind::BadInput) std::abort();
    }
    return 0;
}
