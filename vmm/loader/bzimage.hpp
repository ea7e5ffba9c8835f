// Linux's bzImage, read as a boot loader reads it (Documentation/arch/x86/boot.rst, "THE REAL-MODE
// KERNEL HEADER" and "LOADING THE REST OF THE KERNEL"): the setup header at 0x1f1, checked for
// what glassvm needs — the "HdrS" magic, boot protocol 2.06 or later, a kernel that loads high
// (LOADED_HIGH) and has a 64-bit entry (XLF_KERNEL_64) — and the protected-mode kernel after
// the setup sectors, which the VMM copies to the load address and enters at +0x200. Pure: bytes
// in, a description out; every refusal is BadInput saying why. Also Linux's "zero page",
// struct boot_params, that the loader fills for the kernel (Documentation/arch/x86/zero-page.rst).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include "vmm/loader/e820.hpp"

namespace glassvm {

// Offsets in the file (and in boot_params, which embeds the header at the same place).
namespace setup_header {
inline constexpr uint64_t kSetupSects = 0x1f1;
inline constexpr uint64_t kBootFlag = 0x1fe;  // 0xAA55
inline constexpr uint64_t kJump = 0x200;      // the byte at 0x201 is the header's length past 0x202
inline constexpr uint64_t kMagic = 0x202;     // "HdrS"
inline constexpr uint64_t kVersion = 0x206;
inline constexpr uint64_t kTypeOfLoader = 0x210;
inline constexpr uint64_t kLoadflags = 0x211;
inline constexpr uint64_t kCode32Start = 0x214;
inline constexpr uint64_t kRamdiskImage = 0x218;
inline constexpr uint64_t kRamdiskSize = 0x21c;
inline constexpr uint64_t kHeapEndPtr = 0x224;
inline constexpr uint64_t kCmdLinePtr = 0x228;
inline constexpr uint64_t kInitrdAddrMax = 0x22c;
inline constexpr uint64_t kKernelAlignment = 0x230;
inline constexpr uint64_t kRelocatableKernel = 0x234;
inline constexpr uint64_t kXloadflags = 0x236;
inline constexpr uint64_t kCmdlineSize = 0x238;
inline constexpr uint64_t kPrefAddress = 0x258;
inline constexpr uint64_t kInitSize = 0x260;
inline constexpr uint64_t kEnd = 0x290;  // boot_params.edd_mbr_sig_buffer: the header never reaches it

inline constexpr uint16_t kBootFlagValue = 0xAA55;
inline constexpr uint32_t kMagicValue = 0x5372'6448;  // "HdrS", little-endian

inline constexpr uint8_t kLoadedHigh = 1u << 0;    // protected-mode code loads at 1 MiB or above
inline constexpr uint8_t kCanUseHeap = 1u << 7;    // heap_end_ptr is valid
inline constexpr uint16_t kXlfKernel64 = 1u << 0;  // has the 64-bit entry at load address + 0x200

inline constexpr uint16_t kMinimumVersion = 0x0206;  // cmdline_size, the 32-bit cmd_line_ptr
inline constexpr uint16_t kXloadflagsVersion = 0x020c;
inline constexpr uint16_t kPrefAddressVersion = 0x020a;     // pref_address, init_size
inline constexpr uint64_t kDefaultLoadAddress = 0x10'0000;  // 1 MiB, before pref_address
}  // namespace setup_header

// What glassvm reads from a setup header.
struct SetupHeader {
    uint8_t setup_sects = 0;  // as used: 0 in the file means 4
    uint16_t version = 0;     // 0x020f = protocol 2.15
    uint8_t loadflags = 0;
    uint16_t xloadflags = 0;
    uint32_t initrd_addr_max = 0;
    uint32_t kernel_alignment = 0;
    bool relocatable = false;
    uint32_t cmdline_size = 0;  // the longest command line, without its NUL
    uint64_t pref_address = 0;  // where it wants to be loaded (1 MiB before 2.10)
    uint32_t init_size = 0;     // bytes it needs from its load address while it starts
};

struct BzImage {
    SetupHeader header;
    std::span<const uint8_t> setup_header_bytes;  // file[0x1f1, end of header): copied into boot_params
    std::span<const uint8_t> kernel;              // the protected-mode kernel, after the setup sectors
};

// True when `file` carries a setup header ("HdrS" at 0x202): a bzImage, not an ELF.
bool is_bzimage(std::span<const uint8_t> file);

// Parses and checks `file`; every refusal is BadInput naming `what` and the reason.
BzImage parse_bzimage(std::span<const uint8_t> file, std::string_view what);

// Where the protected-mode kernel goes: pref_address (protocol 2.10+; else 1 MiB), rounded up to
// kernel_alignment when the kernel is relocatable.
uint64_t kernel_load_address(const SetupHeader& header);

// The 64-bit entry point: 0x200 past the load address (boot.rst, "64-bit BOOT PROTOCOL").
inline constexpr uint64_t kLinuxEntry64Offset = 0x200;

namespace zero_page {
inline constexpr uint64_t kSize = 0x1000;
inline constexpr uint64_t kExtRamdiskImage = 0x0c0;  // high 32 bits of ramdisk_image
inline constexpr uint64_t kExtRamdiskSize = 0x0c4;
inline constexpr uint64_t kExtCmdLinePtr = 0x0c8;
inline constexpr uint64_t kE820Entries = 0x1e8;  // u8
inline constexpr uint64_t kE820Table = 0x2d0;    // struct boot_e820_entry[128]: u64 addr, u64 size, u32 type
inline constexpr uint64_t kE820EntrySize = 20;
inline constexpr uint64_t kE820MaxEntries = 128;

inline constexpr uint8_t kLoaderUndefined = 0xff;  // type_of_loader: "not in the registered list"
// heap_end_ptr: the end of the real-mode setup's heap, relative to the start of setup. boot.rst
// suggests 0xe000 - 0x200 for a loader that loads setup at 0x90000 with a 0x9800-byte stack
// area; the 64-bit entry skips setup, so the value only has to be sane.
inline constexpr uint16_t kHeapEnd = 0xe000 - 0x200;
}  // namespace zero_page

// Where the loader put what the kernel must find.
struct LinuxBootLayout {
    uint64_t cmdline_address = 0;
    uint64_t initrd_address = 0;  // 0 when there is no initrd
    uint64_t initrd_size = 0;
};

using BootParams = std::array<uint8_t, zero_page::kSize>;

// A zeroed boot_params with the image's setup header copied in and completed: type_of_loader
// 0xff, CAN_USE_HEAP with heap_end_ptr, cmd_line_ptr, ramdisk_image/size, and the e820 table.
BootParams build_boot_params(const BzImage& image, const LinuxBootLayout& layout, std::span<const E820Entry> e820);

}  // namespace glassvm
