// Composes the boot paths' starting CPU states (cpu_state.hpp).
#include "vmm/x86/cpu_state.hpp"

#include <glassvm/abi.hpp>

#include "vmm/x86/gdt.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm::x86 {

kvm_sregs long_mode_sregs(kvm_sregs sregs, uint64_t cr3) {
    sregs.gdt.base = layout::kBootGdt;
    sregs.gdt.limit = kBootGdtEntries * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;  // no IDT until the kernel installs one: an exception before that triple-faults

    sregs.cs = to_kvm_segment(boot_code_descriptor(), kBootCodeSelector);
    kvm_segment data = to_kvm_segment(boot_data_descriptor(), kBootDataSelector);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;

    sregs.cr3 = cr3;
    sregs.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt;
    sregs.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
    sregs.efer = kEferLme | kEferLma;
    return sregs;
}

kvm_regs boot_regs(uint64_t entry, uint64_t boot_info_address) {
    kvm_regs regs{};
    regs.rip = entry;
    regs.rdi = abi::kBootMagic;
    regs.rsi = boot_info_address;
    regs.rsp = layout::kBootStackTop;
    regs.rflags = 1ull << 1;  // bit 1 is reserved and always 1
    return regs;
}

namespace {

constexpr uint8_t kTypeBusyTss32 = 0xB;  // SDM vol. 3A, table 3-2 "System-Segment and Gate-Descriptor Types"
constexpr uint32_t kTssLimit = 0x67;     // a 104-byte 32-bit TSS (SDM vol. 3A, figure 7-2)

}  // namespace

SegmentDescriptor flat_code32_descriptor() { return flat_descriptor(0xB, false, true); }

SegmentDescriptor flat_data32_descriptor() { return boot_data_descriptor(); }

SegmentDescriptor pvh_tss_descriptor() {
    return {.base = 0,
            .limit = kTssLimit,
            .type = kTypeBusyTss32,
            .code_or_data = false,
            .privilege = 0,
            .present = true,
            .long_mode = false,
            .default_32 = false,
            .granularity = false};
}

void write_pvh_gdt(const GuestMemory& memory) {
    memory.write_object<uint64_t>(layout::kBootGdt, 0);
    memory.write_object<uint64_t>(layout::kBootGdt + kPvhCodeSelector, encode_descriptor(flat_code32_descriptor()));
    memory.write_object<uint64_t>(layout::kBootGdt + kPvhDataSelector, encode_descriptor(flat_data32_descriptor()));
    memory.write_object<uint64_t>(layout::kBootGdt + kPvhTssSelector, encode_descriptor(pvh_tss_descriptor()));
}

kvm_sregs pvh_entry_sregs(kvm_sregs sregs) {
    sregs.gdt.base = layout::kBootGdt;
    sregs.gdt.limit = kPvhGdtEntries * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;

    sregs.cs = to_kvm_segment(flat_code32_descriptor(), kPvhCodeSelector);
    kvm_segment data = to_kvm_segment(flat_data32_descriptor(), kPvhDataSelector);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.tr = to_kvm_segment(pvh_tss_descriptor(), kPvhTssSelector);

    sregs.cr0 = kCr0Pe | kCr0Et;  // protected mode, paging off
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
    return sregs;
}

kvm_regs pvh_entry_regs(uint32_t entry, uint64_t start_info_address) {
    kvm_regs regs{};
    regs.rip = entry;
    regs.rbx = start_info_address;
    regs.rflags = 1ull << 1;  // IF, TF, VM clear; bit 1 is reserved and always 1
    return regs;
}

void write_linux_boot_gdt(const GuestMemory& memory) {
    memory.write_object<uint64_t>(layout::kBootGdt, 0);
    memory.write_object<uint64_t>(layout::kBootGdt + 0x08, 0);
    memory.write_object<uint64_t>(layout::kBootGdt + kLinuxBootCodeSelector, encode_descriptor(boot_code_descriptor()));
    memory.write_object<uint64_t>(layout::kBootGdt + kLinuxBootDataSelector, encode_descriptor(boot_data_descriptor()));
}

kvm_sregs linux_entry_sregs(kvm_sregs sregs, uint64_t cr3) {
    sregs = long_mode_sregs(sregs, cr3);
    sregs.gdt.limit = kLinuxGdtEntries * 8 - 1;
    sregs.cs = to_kvm_segment(boot_code_descriptor(), kLinuxBootCodeSelector);
    kvm_segment data = to_kvm_segment(boot_data_descriptor(), kLinuxBootDataSelector);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    return sregs;
}

kvm_regs linux_entry_regs(uint64_t entry, uint64_t boot_params_address) {
    kvm_regs regs{};
    regs.rip = entry;
    regs.rsi = boot_params_address;
    regs.rsp = layout::kBootStackTop;
    regs.rflags = 1ull << 1;  // IF clear: interrupts off
    return regs;
}

namespace {

// A real-mode segment as RESET leaves it: limit 0xFFFF, present, accessed, read/write data
// (type 3) or execute/read code (type 0xB), 16-bit, byte-granular.
kvm_segment real_mode_segment(uint16_t selector, uint64_t base, uint8_t type) {
    kvm_segment segment{};
    segment.selector = selector;
    segment.base = base;
    segment.limit = 0xFFFF;
    segment.type = type;
    segment.present = 1;
    segment.s = 1;
    return segment;
}

}  // namespace

kvm_sregs reset_sregs(kvm_sregs sregs) {
    sregs.cs = real_mode_segment(kResetCodeSelector, kResetCodeBase, 0xB);
    for (kvm_segment* data : {&sregs.ds, &sregs.es, &sregs.ss, &sregs.fs, &sregs.gs})
        *data = real_mode_segment(0, 0, 0x3);
    sregs.gdt = {.base = 0, .limit = 0xFFFF, .padding = {}};
    sregs.idt = {.base = 0, .limit = 0xFFFF, .padding = {}};
    sregs.cr0 = kResetCr0;
    sregs.cr2 = 0;
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
    return sregs;
}

kvm_regs reset_regs(uint32_t processor_signature) {
    kvm_regs regs{};
    regs.rip = kResetInstructionPointer;
    regs.rflags = 0x2;  // bit 1 is reserved and always 1; IF = 0
    regs.rdx = processor_signature;
    return regs;
}

uint32_t processor_signature(const std::vector<kvm_cpuid_entry2>& cpuid) {
    for (const kvm_cpuid_entry2& entry : cpuid)
        if (entry.function == 1) return entry.eax;
    return kDefaultProcessorSignature;
}

}  // namespace glassvm::x86
