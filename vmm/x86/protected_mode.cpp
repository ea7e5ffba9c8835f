// The PVH entry state: 32-bit flat protected mode, paging off; see protected_mode.hpp.
#include "vmm/x86/protected_mode.hpp"

#include "vmm/x86/layout.hpp"
#include "vmm/x86/long_mode.hpp"

namespace glassvm::x86 {

namespace {

constexpr uint8_t kTypeBusyTss32 = 0xB;  // SDM vol. 3A, table 3-2 "System-Segment and Gate-Descriptor Types"
constexpr uint32_t kTssLimit = 0x67;     // a 104-byte 32-bit TSS (SDM vol. 3A, figure 7-2)

}  // namespace

SegmentDescriptor flat_code32_descriptor() {
    return {.base = 0,
            .limit = 0xfffff,
            .type = 0xB,
            .code_or_data = true,
            .privilege = 0,
            .present = true,
            .long_mode = false,
            .default_32 = true,
            .granularity = true};
}

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

}  // namespace glassvm::x86
