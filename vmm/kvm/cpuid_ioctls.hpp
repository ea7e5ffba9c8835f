// Correct ioctl numbers for the KVM calls whose argument struct ends in a flexible array.
// An ioctl number encodes sizeof(argument); g++ 12 sizes `struct kvm_cpuid2 { __u32 nent;
// __u32 padding; struct kvm_cpuid_entry2 entries[]; }` as 12 bytes instead of C's 8, so the
// <linux/kvm.h> macros give C++ a number the kernel rejects with EINVAL. We rebuild them from
// the C layout of the fixed header.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>

namespace glassvm::kvm_ioctl {

struct CpuidHeader {  // the C layout of struct kvm_cpuid2 without its entries
    uint32_t nent;
    uint32_t padding;
};
static_assert(sizeof(CpuidHeader) == 8);

// For the same reason `cpuid2->entries` is 4 bytes past where the kernel reads and writes the
// entries (g++ puts them after a 1-byte empty struct, at 12): address them from the C layout.
inline constexpr size_t kCpuidEntriesOffset = sizeof(CpuidHeader);

inline constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, CpuidHeader);
inline constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, CpuidHeader);
inline constexpr unsigned long kGetCpuid2 = _IOWR(KVMIO, 0x91, CpuidHeader);

}  // namespace glassvm::kvm_ioctl
