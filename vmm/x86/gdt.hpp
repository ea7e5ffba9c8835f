// Segment descriptors (Intel SDM vol. 3A, 3.4.5) and the boot GDT the VMM hands the kernel:
// null, 64-bit code at selector 0x08, data at 0x10. In long mode base and limit are ignored
// for code and data, but KVM checks that the hidden segment state it is given matches the
// descriptors, so both views are produced from one description.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/accel/guest_memory.hpp"

namespace glassvm::x86 {

struct SegmentDescriptor {
    uint32_t base = 0;
    uint32_t limit = 0;        // 20 bits; in 4 KiB units when granularity is set
    uint8_t type = 0;          // 4-bit type field (code: 0xB execute/read accessed, data: 0x3)
    bool code_or_data = true;  // S bit: false for system descriptors (TSS, LDT)
    uint8_t privilege = 0;     // DPL
    bool present = true;
    bool long_mode = false;   // L: 64-bit code segment
    bool default_32 = false;  // D/B
    bool granularity = false;
};

// The 8-byte GDT entry for `descriptor`.
uint64_t encode_descriptor(const SegmentDescriptor& descriptor);

// The hidden segment-register state KVM expects for a selector loaded from `descriptor`.
kvm_segment to_kvm_segment(const SegmentDescriptor& descriptor, uint16_t selector);

inline constexpr uint16_t kBootCodeSelector = 0x08;
inline constexpr uint16_t kBootDataSelector = 0x10;
inline constexpr uint16_t kBootGdtEntries = 3;

// A flat ring-0 code or data segment (base 0, limit 4 GiB in 4 KiB pages, present) of `type`
// (0xB code execute/read accessed, 0x3 data read/write accessed), 64-bit or 32-bit.
SegmentDescriptor flat_descriptor(uint8_t type, bool long_mode, bool default_32);
SegmentDescriptor boot_code_descriptor();
SegmentDescriptor boot_data_descriptor();

// Writes the boot GDT at layout::kBootGdt.
void write_boot_gdt(const GuestMemory& memory);

}  // namespace glassvm::x86
