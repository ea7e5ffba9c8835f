// The Linux "zero page", struct boot_params (Documentation/arch/x86/zero-page.rst and boot.rst):
// the 4 KiB block a boot loader fills in and points RSI at when it enters the kernel's 64-bit
// entry. It embeds the setup header at 0x1f1, copied from the bzImage and then completed with
// the loader's answers — who loaded it, where the command line and initrd are — and carries the
// e820 memory map. Built as bytes here (no ioctls), so every field is unit-testable.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "vmm/loader/bzimage.hpp"
#include "vmm/loader/e820.hpp"

namespace glassvm {

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
