// Reading and checking a boot ROM image, and its read-only host copy.
#include "vmm/loader/rom_image.hpp"

#include <sys/mman.h>

#include <algorithm>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm {

namespace {

constexpr uint64_t kResetVectorBytes = 16;

// The instructions firmware puts before its first jump (SeaBIOS: `ljmpw` at once; coreboot and
// OVMF: a near jmp, sometimes after NOPs or CLI/CLD), and the jumps themselves.
bool is_reset_vector_preamble(uint8_t byte) { return byte == 0x90 || byte == 0xfa || byte == 0xfc || byte == 0x66; }
bool is_jump_opcode(uint8_t byte) { return byte == 0xe9 || byte == 0xeb || byte == 0xea; }

bool has_reset_vector_jump(std::span<const uint8_t> vector) {
    auto first = std::find_if_not(vector.begin(), vector.end(), is_reset_vector_preamble);
    return first != vector.end() && is_jump_opcode(*first);
}

}  // namespace

uint64_t RomImage::max_size() { return layout::kIdentityMappedBytes - (layout::kVmxTssAddress + layout::kVmxTssBytes); }

void check_rom_image(std::span<const uint8_t> bytes, const std::string& name) {
    if (bytes.empty()) throw_bad_input("firmware ROM {}: is empty", name);
    if (bytes.size() % layout::kPageSize != 0)
        throw_bad_input(
            "firmware ROM {}: {} bytes is not a whole number of 4 KiB pages (a ROM is mapped as "
            "pages, ending at 4 GiB)",
            name, bytes.size());
    if (bytes.size() > RomImage::max_size())
        throw_bad_input("firmware ROM {}: {} KiB is larger than the {} KiB below 4 GiB glassvm has room for", name,
                        bytes.size() >> 10, RomImage::max_size() >> 10);
    auto vector = bytes.last(kResetVectorBytes);
    if (!has_reset_vector_jump(vector))
        throw_bad_input(
            "firmware ROM {}: no jump at the reset vector (its last 16 bytes, which the CPU runs "
            "first at 0xFFFFFFF0, start with {:#04x})",
            name, vector.front());
}

RomImage RomImage::from_bytes(std::span<const uint8_t> bytes, const std::string& name) {
    check_rom_image(bytes, name);
    // A private anonymous copy, then read-only: neither the VMM nor a later change to the file
    // can alter what the guest runs.
    Mapping mapping =
        Mapping::create("mmap firmware ROM", bytes.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    std::copy(bytes.begin(), bytes.end(), mapping.data());
    check_syscall("mprotect firmware ROM", ::mprotect(mapping.data(), mapping.size(), PROT_READ));
    return RomImage(std::move(mapping));
}

RomImage RomImage::load(const std::string& path) {
    std::vector<uint8_t> bytes = read_file(path, "firmware ROM", max_size());
    return from_bytes(bytes, path);
}

uint64_t RomImage::guest_address() const { return layout::kIdentityMappedBytes - size(); }

}  // namespace glassvm
