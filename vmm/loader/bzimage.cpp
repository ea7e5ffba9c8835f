// Setup-header checks and the protected-mode kernel's place; see bzimage.hpp.
#include "vmm/loader/bzimage.hpp"

#include <glassvm/abi.hpp>

#include <algorithm>
#include <cstring>

#include "base/error.hpp"

namespace glassvm {

namespace {

template <typename T>
T read_at(std::span<const uint8_t> file, uint64_t offset) {
    T value;
    std::memcpy(&value, file.data() + offset, sizeof value);
    return value;
}

std::string protocol_name(uint16_t version) { return fmt::format("{}.{:02}", version >> 8, version & 0xff); }

SetupHeader read_header(std::span<const uint8_t> file, uint16_t version) {
    using namespace setup_header;
    SetupHeader header;
    header.version = version;
    header.setup_sects = file[kSetupSects] == 0 ? 4 : file[kSetupSects];  // boot.rst: 0 means 4
    header.loadflags = file[kLoadflags];
    header.initrd_addr_max = read_at<uint32_t>(file, kInitrdAddrMax);
    header.kernel_alignment = read_at<uint32_t>(file, kKernelAlignment);
    header.relocatable = file[kRelocatableKernel] != 0;
    header.cmdline_size = read_at<uint32_t>(file, kCmdlineSize);
    if (version >= kXloadflagsVersion) header.xloadflags = read_at<uint16_t>(file, kXloadflags);
    header.pref_address = kDefaultLoadAddress;
    if (version >= kPrefAddressVersion) {
        header.pref_address = read_at<uint64_t>(file, kPrefAddress);
        header.init_size = read_at<uint32_t>(file, kInitSize);
    }
    return header;
}

void check_header(const SetupHeader& header, std::string_view what) {
    using namespace setup_header;
    if (!(header.loadflags & kLoadedHigh))
        throw_bad_input(
            "{}: a zImage that loads below 1 MiB (LOADED_HIGH is clear in loadflags); glassvm boots "
            "only bzImages",
            what);
    if (header.version < kXloadflagsVersion || !(header.xloadflags & kXlfKernel64))
        throw_bad_input("{}: not 64-bit capable: {} (glassvm enters the kernel through its 64-bit entry)", what,
                        header.version < kXloadflagsVersion
                            ? fmt::format("boot protocol {} predates xloadflags (2.12)", protocol_name(header.version))
                            : std::string("XLF_KERNEL_64 is clear in xloadflags"));
    if (header.init_size == 0) throw_bad_input("{}: the setup header gives no init_size", what);
    if (header.relocatable &&
        (header.kernel_alignment == 0 || (header.kernel_alignment & (header.kernel_alignment - 1))))
        throw_bad_input("{}: kernel_alignment {:#x} is not a power of two", what, header.kernel_alignment);
    // Checked before rounding it up to kernel_alignment, which must not wrap: no guest RAM lies
    // above the MMIO hole's start, so a kernel asking to load there can never boot.
    if (header.pref_address >= abi::kMmioHoleStart)
        throw_bad_input("{}: pref_address {:#x} lies above any RAM glassvm can give a guest (below {:#x})", what,
                        header.pref_address, abi::kMmioHoleStart);
    if (kernel_load_address(header) < kDefaultLoadAddress)
        throw_bad_input("{}: pref_address {:#x} is below 1 MiB", what, header.pref_address);
}

}  // namespace

bool is_bzimage(std::span<const uint8_t> file) {
    return file.size() >= setup_header::kMagic + 4 &&
           read_at<uint32_t>(file, setup_header::kMagic) == setup_header::kMagicValue;
}

BzImage parse_bzimage(std::span<const uint8_t> file, std::string_view what) {
    using namespace setup_header;
    if (file.size() < kEnd) throw_bad_input("{}: {} bytes is too short to be a bzImage", what, file.size());
    if (!is_bzimage(file)) throw_bad_input("{}: not a bzImage (no \"HdrS\" setup header at 0x202)", what);
    if (read_at<uint16_t>(file, kBootFlag) != kBootFlagValue)
        throw_bad_input("{}: boot_flag at 0x1fe is {:#x}, not 0xaa55", what, read_at<uint16_t>(file, kBootFlag));
    uint16_t version = read_at<uint16_t>(file, kVersion);
    if (version < kMinimumVersion)
        throw_bad_input("{}: boot protocol {} is too old (glassvm needs 2.06 or later)", what, protocol_name(version));
    SetupHeader header = read_header(file, version);
    check_header(header, what);

    uint64_t header_end = std::min<uint64_t>(kMagic + file[kJump + 1], kEnd);
    uint64_t kernel_offset = (uint64_t{header.setup_sects} + 1) * 512;
    if (kernel_offset >= file.size())
        throw_bad_input("{}: {} setup sectors leave no kernel in a {}-byte file (truncated?)", what, header.setup_sects,
                        file.size());
    return {.header = header,
            .setup_header_bytes = file.subspan(kSetupSects, header_end - kSetupSects),
            .kernel = file.subspan(kernel_offset)};
}

uint64_t kernel_load_address(const SetupHeader& header) {
    uint64_t address = header.pref_address;
    if (header.relocatable && header.kernel_alignment != 0) {
        uint64_t alignment = header.kernel_alignment;
        address = (address + alignment - 1) & ~(alignment - 1);
    }
    return address;
}

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
