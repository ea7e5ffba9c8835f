// Every guest-physical address the VMM chooses, in one place. The guest learns most of these
// through BootInfo; the ones it must know in advance are in abi/glassvm/abi.hpp.
//
//   0x0000_0000  +---------------------------+
//                | (unused: real-mode IVT)   |
//   0x0000_1000  | boot GDT                  |
//   0x0000_2000  | boot info: BootInfo, or   |
//                | hvm_start_info (PVH), or  |
//                | boot_params (Linux)       |
//   0x0000_3000  | kernel command line (4 K) |
//   0x0000_4000  | boot stack (grows down)   |
//   0x0000_8000  | AP trampoline page        |
//                |   (guest's; abi.hpp)      |
//   0x0000_9000  | PML4                      |
//   0x0000_A000  | PDPT                      |
//   0x0000_B000  | 4 page directories (4 GiB)|
//   0x0001_0000  +---------------------------+
//                | (free)                    |
//   0x0010_0000  | kernel ELF (1 MiB, linked |
//                |   there; below 2 MiB)     |
//   0x0020_0000  | user memory: init program,|
//                |   its stack               |
//   RAM end - N  | init module (page-aligned)|
//   RAM end      +---------------------------+
//   0xC000_0000  | MMIO hole (devices)       |
//   0xFFFB_D000  | VMX real-mode TSS (3 pp)  |
//   0xFFFF_0000  | firmware ROM (--boot      |
//                |   firmware; read-only)    |
//   0x1_0000_0000+---------------------------+
#pragma once

#include <cstdint>

#include <glassvm/abi.hpp>

namespace glassvm::layout {

inline constexpr uint64_t kPageSize = 0x1000;
inline constexpr uint64_t kLargePageSize = 0x20'0000;  // 2 MiB

inline constexpr uint64_t kBootGdt = 0x1000;
inline constexpr uint64_t kBootInfo = 0x2000;
// Each boot path hands the kernel its own block in the same page (only one is ever written):
// PVH's hvm_start_info with its module list and memory map, or Linux's 4 KiB boot_params.
inline constexpr uint64_t kPvhStartInfo = kBootInfo;
inline constexpr uint64_t kLinuxBootParams = kBootInfo;
inline constexpr uint64_t kCommandLine = 0x3000;
inline constexpr uint64_t kCommandLineMax = 0x1000;  // including the NUL
inline constexpr uint64_t kBootStackTop = 0x8000;
// [kBootStackTop, kPml4) is the guest kernel's AP trampoline page; the VMM writes nothing there.
static_assert(abi::kApTrampolineAddress == kBootStackTop);
inline constexpr uint64_t kPml4 = 0x9000;
inline constexpr uint64_t kPdpt = 0xA000;
inline constexpr uint64_t kPageDirectories = 0xB000;             // four, one per GiB
inline constexpr uint64_t kIdentityMappedBytes = 0x1'0000'0000;  // 4 GiB
inline constexpr uint64_t kBootTablesEnd = 0x1'0000;

// Nothing loaded from a file may land below this: the boot structures live there.
inline constexpr uint64_t kLowestLoadAddress = kBootTablesEnd;

// RAM is one slot at guest-physical 0, up to the MMIO hole.
inline constexpr uint64_t kRamBase = 0;
inline constexpr uint64_t kMaxRamBytes = abi::kMmioHoleStart;
inline constexpr uint64_t kMinRamBytes = 4 * 1024 * 1024;

// Intel VMX needs three pages for real-mode emulation (KVM_SET_TSS_ADDR); QEMU and
// Firecracker put them just below the BIOS area at the top of 4 GiB.
inline constexpr uint64_t kVmxTssAddress = 0xFFFB'D000;
inline constexpr uint64_t kVmxTssBytes = 3 * kPageSize;

// Memory slots: RAM is slot 0; the firmware path's boot ROM (read-only, ending at 4 GiB) is
// slot 1.
inline constexpr uint32_t kRamSlot = 0;
inline constexpr uint32_t kFirmwareRomSlot = 1;

}  // namespace glassvm::layout
