// libFuzzer target: the ELF loader (vmm/loader/elf.hpp). Any input either is refused with a
// glassvm::Error (BadInput) or parses; a parsed image is loaded into a small guest RAM and
// must land there byte for byte. Anything else — a crash, a sanitizer report, another
// exception type — is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "base/error.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/loader/elf.hpp"

namespace {

// As the VMM loads kernels: above the first page, into RAM big enough for the real guest.
constexpr uint64_t kGuestRamSize = 8 << 20;
constexpr uint64_t kLowestAllowed = 0x1000;

// The loaded segments hold the file's bytes, then zeroes (.bss).
void check_loaded(const glassvm::GuestMemory& memory, std::span<const uint8_t> file, const glassvm::ElfImage& image) {
    for (const auto& segment : image.segments) {
        auto loaded = memory.slice(segment.load_address, segment.memory_size);
        if (std::memcmp(loaded.data(), file.data() + segment.file_offset, segment.file_size) != 0) std::abort();
        for (uint64_t i = segment.file_size; i < segment.memory_size; ++i)
            if (loaded[i] != 0) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const glassvm::GuestMemory memory = glassvm::GuestMemory::allocate(kGuestRamSize);
    std::span<const uint8_t> file(data, size);
    glassvm::ElfImage image;
    try {
        image = glassvm::parse_elf(file, "fuzz.elf");
    } catch (const glassvm::Error& error) {
        if (error.kind() != glassvm::ErrorKind::BadInput) std::abort();
        return 0;
    }
    if (image.segments.empty() || image.lowest_address() > image.highest_address()) std::abort();
    try {
        glassvm::load_elf(memory, file, image, kLowestAllowed, "fuzz.elf");
    } catch (const glassvm::Error& error) {
        if (error.kind() != glassvm::ErrorKind::BadInput) std::abort();
        return 0;
    }
    check_loaded(memory, file, image);
    return 0;
}
