// Encoding segment descriptors and writing the boot GDT.
#include "vmm/x86/gdt.hpp"

#include "vmm/x86/layout.hpp"

namespace glassvm::x86 {

uint64_t encode_descriptor(const SegmentDescriptor& d) {
    // SDM vol. 3A, figure 3-8 "Segment Descriptor".
    uint64_t value = 0;
    value |= d.limit & 0xffffull;
    value |= (uint64_t{d.base} & 0xffffff) << 16;
    value |= uint64_t{d.type & 0xfu} << 40;
    value |= uint64_t{d.code_or_data} << 44;
    value |= uint64_t{d.privilege & 3u} << 45;
    value |= uint64_t{d.present} << 47;
    value |= (uint64_t{d.limit} >> 16 & 0xf) << 48;
    value |= uint64_t{d.long_mode} << 53;
    value |= uint64_t{d.default_32} << 54;
    value |= uint64_t{d.granularity} << 55;
    value |= (uint64_t{d.base} >> 24 & 0xff) << 56;
    return value;
}

kvm_segment to_kvm_segment(const SegmentDescriptor& d, uint16_t selector) {
    kvm_segment segment{};
    segment.base = d.base;
    // KVM wants the limit in bytes, as the hidden register holds it.
    segment.limit = d.granularity ? (d.limit << 12) | 0xfff : d.limit;
    segment.selector = selector;
    segment.type = d.type;
    segment.present = d.present;
    segment.dpl = d.privilege;
    segment.db = d.default_32;
    segment.s = d.code_or_data;
    segment.l = d.long_mode;
    segment.g = d.granularity;
    return segment;
}

SegmentDescriptor flat_descriptor(uint8_t type, bool long_mode, bool default_32) {
    return {.base = 0,
            .limit = 0xfffff,
            .type = type,
            .code_or_data = true,
            .privilege = 0,
            .present = true,
            .long_mode = long_mode,
            .default_32 = default_32,
            .granularity = true};
}

SegmentDescriptor boot_code_descriptor() { return flat_descriptor(0xB, true, false); }

SegmentDescriptor boot_data_descriptor() { return flat_descriptor(0x3, false, true); }

void write_boot_gdt(const GuestMemory& memory) {
    memory.write_object<uint64_t>(layout::kBootGdt, 0);
    memory.write_object<uint64_t>(layout::kBootGdt + kBootCodeSelector, encode_descriptor(boot_code_descriptor()));
    memory.write_object<uint64_t>(layout::kBootGdt + kBootDataSelector, encode_descriptor(boot_data_descriptor()));
}

}  // namespace glassvm::x86
