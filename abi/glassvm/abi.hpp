// The contract between the glassvm VMM and the glassvm guest kernel: port numbers, MMIO
// addresses, the boot-info block and exit codes. Both sides include this one header (the guest
// freestanding, the VMM hosted), so neither can drift from the other.
#pragma once

// The few numbers assembly code needs too (test guests, the kernel's entry code) are macros,
// usable from .S files; C++ code uses the typed constants below, defined from the same macros.
#define GLASSVM_ABI_SERIAL_PORT 0x3f8
#define GLASSVM_ABI_EXIT_PORT 0xf4
#define GLASSVM_ABI_DOORBELL_PORT 0xf8
#define GLASSVM_ABI_BOOT_MAGIC 0x676c617373766d31 /* "glassvm1" */
#define GLASSVM_ABI_MAX_CPUS 16
#define GLASSVM_ABI_AP_TRAMPOLINE 0x8000

/* The firmware boot path (firmware/README.md): System Control Port A (the A20 gate) and the
 * firmware configuration interface, a selector port and a data port. */
#define GLASSVM_ABI_SYSTEM_CONTROL_PORT_A 0x92
#define GLASSVM_ABI_A20_ENABLE_BIT 0x02
#define GLASSVM_ABI_FIRMWARE_CONFIG_SELECTOR_PORT 0x520
#define GLASSVM_ABI_FIRMWARE_CONFIG_DATA_PORT 0x524
#define GLASSVM_ABI_FIRMWARE_CONFIG_SIGNATURE 0x4d564c47 /* "GLVM" read as a little-endian u32 */
#define GLASSVM_ABI_FIRMWARE_CONFIG_VERSION 1
/* Item keys: write one to the selector port, then read the item's bytes from the data port. */
#define GLASSVM_ABI_FW_ITEM_SIGNATURE 0x0000    /* 4 bytes: "GLVM" */
#define GLASSVM_ABI_FW_ITEM_VERSION 0x0001      /* u32: GLASSVM_ABI_FIRMWARE_CONFIG_VERSION */
#define GLASSVM_ABI_FW_ITEM_KERNEL_ENTRY 0x0002 /* u64: the kernel's 64-bit entry point */
#define GLASSVM_ABI_FW_ITEM_BOOT_INFO 0x0003    /* u64: guest-physical address of the BootInfo */
#define GLASSVM_ABI_FW_ITEM_RAM_SIZE 0x0004     /* u64: RAM is [0, this) */
#define GLASSVM_ABI_FW_ITEM_CPU_COUNT 0x0005    /* u32: vCPUs */
#define GLASSVM_ABI_FW_ITEM_PAGE_TABLES 0x0006  /* u32: 24 KiB of free RAM for the firmware's page tables */
#define GLASSVM_ABI_STATUS_FIRMWARE_FAILED 112

#ifndef __ASSEMBLER__

#include <stdint.h>

namespace glassvm::abi {

// ---------------------------------------------------------------------------------------------
// Port I/O (x86 I/O space, reached from ring 0 with in/out).
// ---------------------------------------------------------------------------------------------

// COM1, the first PC serial port: a 16550A UART with eight registers at 0x3f8..0x3ff.
inline constexpr uint16_t kSerialPort = GLASSVM_ABI_SERIAL_PORT;
inline constexpr uint16_t kSerialPortCount = 8;
// The ISA IRQ line COM1 raises on a PC (wired once the machine has an interrupt controller).
inline constexpr uint8_t kSerialIrq = 4;

// The exit device. A one-byte write of status S ends the VM and glassvm exits with status S.
// This is the port where QEMU's isa-debug-exit device is usually placed
// (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`), so the same guest also ends under QEMU;
// QEMU then exits with (S << 1) | 1 instead of S.
inline constexpr uint16_t kExitPort = GLASSVM_ABI_EXIT_PORT;
inline constexpr uint16_t kExitPortCount = 4;

// The doorbell. A one-byte write is counted by KVM itself (an ioeventfd) and the guest goes on
// at once: no exit reaches the VMM, which reads the count when it wants (at the end, for
// --verbose). It is how a guest can tell a device "there is work" cheaply, as virtio's queue
// notifications do. Writes of other sizes are ordinary exits to an unmapped port.
inline constexpr uint16_t kDoorbellPort = GLASSVM_ABI_DOORBELL_PORT;

// System Control Port A (PS/2 "fast A20"): bit 1 opens the A20 gate, bit 0 asks for a reset.
// Only the firmware boot path has it.
inline constexpr uint16_t kSystemControlPortA = GLASSVM_ABI_SYSTEM_CONTROL_PORT_A;
inline constexpr uint8_t kA20EnableBit = GLASSVM_ABI_A20_ENABLE_BIT;

// The firmware configuration interface (firmware boot path only): how the boot ROM learns
// where the VMM put the kernel and its boot information. Write a 16-bit item key to the
// selector port; each read of the data port (1, 2 or 4 bytes) returns the item's next bytes,
// little-endian. Past an item's end the data port reads zeros; an unknown key selects an item
// that reads as all ones (0xff bytes), as an unclaimed port would.
inline constexpr uint16_t kFirmwareConfigSelectorPort = GLASSVM_ABI_FIRMWARE_CONFIG_SELECTOR_PORT;
inline constexpr uint16_t kFirmwareConfigDataPort = GLASSVM_ABI_FIRMWARE_CONFIG_DATA_PORT;
inline constexpr uint16_t kFirmwareConfigPortCount = 8;  // selector (2 bytes), gap, data (4 bytes)
inline constexpr uint32_t kFirmwareConfigSignature = GLASSVM_ABI_FIRMWARE_CONFIG_SIGNATURE;
inline constexpr uint32_t kFirmwareConfigVersion = GLASSVM_ABI_FIRMWARE_CONFIG_VERSION;

enum class FirmwareItem : uint16_t {
    Signature = GLASSVM_ABI_FW_ITEM_SIGNATURE,
    Version = GLASSVM_ABI_FW_ITEM_VERSION,
    KernelEntry = GLASSVM_ABI_FW_ITEM_KERNEL_ENTRY,
    BootInfo = GLASSVM_ABI_FW_ITEM_BOOT_INFO,
    RamSize = GLASSVM_ABI_FW_ITEM_RAM_SIZE,
    CpuCount = GLASSVM_ABI_FW_ITEM_CPU_COUNT,
    PageTables = GLASSVM_ABI_FW_ITEM_PAGE_TABLES,
};

// ---------------------------------------------------------------------------------------------
// Guest-physical memory map that the guest must know about.
// (Everything only the VMM cares about lives in vmm/x86/layout.hpp.)
// ---------------------------------------------------------------------------------------------

// The PC "PCI hole": guest-physical [3 GiB, 4 GiB) is never RAM, it is where device registers
// (MMIO) live. RAM is at most kMmioHoleStart bytes, starting at 0.
inline constexpr uint64_t kMmioHoleStart = 0xC000'0000;
inline constexpr uint64_t kMmioHoleEnd = 0x1'0000'0000;
// The first 2 MiB hold the kernel and its tables and are mapped supervisor-only; the rest of
// RAM (and the MMIO hole) is user-accessible in the boot page tables.
inline constexpr uint64_t kKernelRegionEnd = 0x20'0000;

// The page below 1 MiB where the kernel copies its real-mode trampoline for application
// processors: a SIPI with vector VV starts an AP at VV000 (Intel SDM Vol. 3A §8.4.4.1), so it must
// be 4 KiB-aligned below 1 MiB. The VMM puts nothing there (vmm/x86/layout.hpp).
inline constexpr uint64_t kApTrampolineAddress = GLASSVM_ABI_AP_TRAMPOLINE;

// ---------------------------------------------------------------------------------------------
// Processors. The VMM creates BootInfo.cpu_count vCPUs; vCPU i has initial APIC id i (CPUID leaf
// 01H EBX[31:24], leaf 0BH EDX, the local APIC's ID register). Only vCPU 0, the bootstrap
// processor, starts at the kernel's entry; the others wait for INIT-SIPI-SIPI (guest/smp.cpp).
// ---------------------------------------------------------------------------------------------

// The most CPUs the guest kernel can bring up (it has a stack, GDT and TSS for each).
inline constexpr int kMaxCpus = GLASSVM_ABI_MAX_CPUS;

// ---------------------------------------------------------------------------------------------
// Boot information. On direct boot the VMM enters the kernel's 64-bit ELF entry point in long
// mode with RDI = kBootMagic and RSI = guest-physical address of a BootInfo (identity-mapped).
// ---------------------------------------------------------------------------------------------

inline constexpr uint64_t kBootMagic = GLASSVM_ABI_BOOT_MAGIC;
inline constexpr uint32_t kBootInfoVersion = 1;

struct BootInfo {
    uint32_t version;          // kBootInfoVersion
    uint32_t cpu_count;        // number of vCPUs the VMM created
    uint64_t memory_bytes;     // RAM is guest-physical [0, memory_bytes)
    uint64_t cmdline_address;  // NUL-terminated kernel command line (0 if none)
    uint64_t cmdline_length;   // bytes, without the NUL
    uint64_t init_address;     // the init program: an ELF64 file, unparsed (0 if none)
    uint64_t init_size;        // bytes
    uint64_t tsc_khz;          // TSC frequency, for clock_gettime (0 if unknown)
};
static_assert(sizeof(BootInfo) == 56, "BootInfo layout is ABI");

// ---------------------------------------------------------------------------------------------
// Exit statuses written to the exit port by the guest kernel. When the init program ends with
// exit_group(N), the kernel writes N & 0xff, so init's status becomes glassvm's.
// ---------------------------------------------------------------------------------------------

inline constexpr uint8_t kStatusSuccess = 0;
// Init was killed by a fault, reported as a shell does: 128 + signal number.
inline constexpr uint8_t kStatusSignalBase = 128;
inline constexpr uint8_t kSignalIll = 4;    // invalid opcode (#UD)
inline constexpr uint8_t kSignalFpe = 8;    // divide error (#DE)
inline constexpr uint8_t kSignalSegv = 11;  // page fault, general protection
// The kernel itself took an exception (a kernel bug): it prints the registers and stops.
inline constexpr uint8_t kStatusKernelPanic = 110;
// The init module is not an ELF64 x86-64 executable the kernel can load.
inline constexpr uint8_t kStatusBadInit = 111;
// (From glassvm's boot ROM) the A20 gate did not open, or the firmware configuration interface
// is missing or speaks another version, so the firmware cannot find the kernel.
inline constexpr uint8_t kStatusFirmwareFailed = GLASSVM_ABI_STATUS_FIRMWARE_FAILED;

}  // namespace glassvm::abi

#endif  // __ASSEMBLER__
