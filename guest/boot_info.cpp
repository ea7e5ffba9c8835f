// The two ways in, turned into one abi::BootInfo: the glassvm VMM's own (direct boot), or the
// hvm_start_info of a PVH loader such as QEMU. Both then run kernel_main.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {

static_assert(abi::kKernelRegionEnd == 0x20'0000, "linker.ld asserts the kernel ends below this");

namespace {

// The kernel's copy: the loader's may lie where init is about to be loaded.
constinit abi::BootInfo boot_info{};

// xen/include/public/arch-x86/hvm/start_info.h. Fields after rsdp_address exist from version 1.
struct HvmStartInfo {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t module_count;
    uint64_t modules_address;  // array of HvmModule
    uint64_t cmdline_address;  // NUL-terminated
    uint64_t rsdp_address;
    uint64_t memory_map_address;  // array of HvmMemoryMapEntry
    uint32_t memory_map_count;
    uint32_t reserved;
};
struct HvmModule {
    uint64_t address, size, cmdline_address, reserved;
};
struct HvmMemoryMapEntry {
    uint64_t address, size;
    uint32_t type, reserved;
};
constexpr uint32_t kHvmStartMagic = 0x336e'c578;
constexpr uint32_t kHvmMemoryTypeRam = 1;
constexpr uint64_t k4GiB = 0x1'0000'0000;

// RAM ends at the top of the highest RAM entry that starts below 4 GiB, cut at the MMIO hole.
uint64_t memory_end(const HvmStartInfo& start) {
    if (start.version < 1 || start.memory_map_address == 0) return 0;
    auto* entries = reinterpret_cast<const HvmMemoryMapEntry*>(start.memory_map_address);
    uint64_t end = 0;
    for (uint32_t i = 0; i < start.memory_map_count; ++i) {
        const HvmMemoryMapEntry& entry = entries[i];
        if (entry.type != kHvmMemoryTypeRam || entry.address >= k4GiB) continue;
        uint64_t top = entry.address + entry.size;
        if (top > end) end = top;
    }
    return end < abi::kMmioHoleStart ? end : abi::kMmioHoleStart;
}

// PVH gives no TSC frequency, so ask CPUID, most trustworthy first:
//  1. The hypervisor's timing leaf 0x40000010 (EAX = TSC kHz; VMware's convention, which QEMU
//     and KVM follow), when CPUID.1:ECX[31] says there is a hypervisor and its leaf
//     0x40000000 reports 0x40000010 as present.
//  2. Leaf 0x15 (SDM Vol. 2A, CPUID): TSC = crystal Hz (ECX) × EBX / EAX, if all are given.
//  3. Leaf 0x16 EAX: the processor base frequency in MHz, which the invariant TSC of recent
//     Intel CPUs runs at (an approximation).
//  Otherwise 0: clock_gettime then fails with -EINVAL.
uint64_t tsc_khz_from_cpuid() {
    constexpr uint32_t kHypervisorPresent = 1u << 31;
    if (x86::cpuid(1).ecx & kHypervisorPresent) {
        if (x86::cpuid(0x4000'0000).eax >= 0x4000'0010) {
            uint32_t khz = x86::cpuid(0x4000'0010).eax;
            if (khz != 0) return khz;
        }
    }
    uint32_t highest_leaf = x86::cpuid(0).eax;
    if (highest_leaf >= 0x15) {
        x86::CpuidResult tsc = x86::cpuid(0x15);
        if (tsc.eax != 0 && tsc.ebx != 0 && tsc.ecx != 0) return uint64_t{tsc.ecx} * tsc.ebx / tsc.eax / 1000;
    }
    if (highest_leaf >= 0x16) {
        uint32_t mhz = x86::cpuid(0x16).eax & 0xffff;
        if (mhz != 0) return uint64_t{mhz} * 1000;
    }
    return 0;
}

[[noreturn]] void refuse_boot(const char* reason) {
    serial_init();
    print("glassvm-guest: cannot boot: ");
    print(reason);
    print("\n");
    exit_vm(abi::kStatusKernelPanic);
}

}  // namespace

// entry64.S: RDI = magic, RSI = BootInfo*.
extern "C" [[noreturn]] void boot_direct(uint64_t magic, const abi::BootInfo* info) {
    if (magic != abi::kBootMagic) refuse_boot("RDI does not hold abi::kBootMagic");
    if (info->version != abi::kBootInfoVersion) refuse_boot("unknown BootInfo version");
    boot_info = *info;
    kernel_main(boot_info);
}

// pvh_entry.S: RDI = hvm_start_info*.
extern "C" [[noreturn]] void boot_pvh(const HvmStartInfo* start) {
    if (start->magic != kHvmStartMagic) refuse_boot("bad hvm_start_info magic");
    boot_info.version = abi::kBootInfoVersion;
    boot_info.cpu_count = 1;  // PVH does not say (ACPI would); the kernel only uses one
    boot_info.memory_bytes = memory_end(*start);
    if (start->cmdline_address != 0) {
        boot_info.cmdline_address = start->cmdline_address;
        boot_info.cmdline_length = string_length(reinterpret_cast<const char*>(start->cmdline_address));
    }
    if (start->module_count > 0 && start->modules_address != 0) {
        auto* init = reinterpret_cast<const HvmModule*>(start->modules_address);
        boot_info.init_address = init->address;
        boot_info.init_size = init->size;
    }
    boot_info.tsc_khz = tsc_khz_from_cpuid();
    kernel_main(boot_info);
}

}  // namespace glassvm::guest
