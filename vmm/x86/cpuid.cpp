// Per-vCPU CPUID: KVM reports what it can virtualise; the VMM still has to say which CPU is
// which (SDM vol. 2A, CPUID leaf 01H EBX[31:24] and leaf 0BH EDX: the APIC id).
#include "x86/cpuid.hpp"

namespace glassvm::x86 {

std::vector<kvm_cpuid_entry2> guest_cpuid(std::vector<kvm_cpuid_entry2> entries, int vcpu_index) {
    auto apic_id = static_cast<uint32_t>(vcpu_index);
    for (auto& entry : entries) {
        if (entry.function == 0x1) entry.ebx = (entry.ebx & 0x00ffffff) | (apic_id << 24);
        if (entry.function == 0xB || entry.function == 0x1F) entry.edx = apic_id;
    }
    return entries;
}

}  // namespace glassvm::x86
