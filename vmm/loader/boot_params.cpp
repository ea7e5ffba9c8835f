// Filling in boot_params; see boot_params.hpp.
#include "vmm/loader/boot_params.hpp"

#include <algorithm>
#include <cstring>

#include "base/error.hpp"

namespace glassvm {

namespace {

template <typename T>
void write_at(BootParams& params, uint64_t offset, T value) {
    std::memcpy(params.data() + offset, &value, sizeof value);
}

// A 64-bit address split across the setup header's 32-bit field and its ext_* high half.
void write_split(BootParams& params, uint64_t low_offset, uint64_t high_offset, uint64_t value) {
    write_at(params, low_offset, static_cast<uint32_t>(value));
    write_at(params, high_offset, static_cast<uint32_t>(value >> 32));
}

void write_e820(BootParams& params, std::span<const E820Entry> e820) {
    using namespace zero_page;
    if (e820.size() > kE820MaxEntries)
        throw Error(ErrorKind::Internal, fmt::format("build_boot_params: {} e820 entries (at most 128)", e820.size()));
    params[kE820Entries] = static_cast<uint8_t>(e820.size());
    for (size_t i = 0; i < e820.size(); ++i) {
        uint64_t at = kE820Table + i * kE820EntrySize;
        write_at(params, at, e820[i].address);
        write_at(params, at + 8, e820[i].size);
        write_at(params, at + 16, static_cast<uint32_t>(e820[i].type));
    }
}

}  // namespace

BootParams build_boot_params(const BzImage& image, const LinuxBootLayout& layout, std::span<const E820Entry> e820) {
    using namespace setup_header;
    BootParams params{};
    std::copy(image.setup_header_bytes.begin(), image.setup_header_bytes.end(), params.begin() + kSetupSects);

    params[kTypeOfLoader] = zero_page::kLoaderUndefined;
    params[kLoadflags] = image.header.loadflags | kCanUseHeap;
    write_at(params, kHeapEndPtr, zero_page::kHeapEnd);
    write_split(params, kCmdLinePtr, zero_page::kExtCmdLinePtr, layout.cmdline_address);
    write_split(params, kRamdiskImage, zero_page::kExtRamdiskImage, layout.initrd_address);
    write_split(params, kRamdiskSize, zero_page::kExtRamdiskSize, layout.initrd_size);
    write_e820(params, e820);
    return params;
}

}  // namespace glassvm
