// Per-vCPU CPUID: KVM reports what it can virtualise; the VMM still has to say which CPU is
// which (SDM vol. 2A, CPUID leaf 01H EBX[31:24] and leaf 0BH EDX: the APIC id), and how fast
// the TSC runs (the hypervisor timing leaf).
#include "vmm/x86/cpuid.hpp"

#include <algorithm>
#include <cstring>

namespace glassvm::x86 {

std::vector<kvm_cpuid_entry2> guest_cpuid(std::vector<kvm_cpuid_entry2> entries, int vcpu_index) {
    auto apic_id = static_cast<uint32_t>(vcpu_index);
    for (auto& entry : entries) {
        if (entry.function == 0x1) entry.ebx = (entry.ebx & 0x00ffffff) | (apic_id << 24);
        if (entry.function == 0xB || entry.function == 0x1F) entry.edx = apic_id;
    }
    return entries;
}

CpuVendor cpu_vendor(const std::vector<kvm_cpuid_entry2>& entries) {
    auto leaf0 = std::find_if(entries.begin(), entries.end(), [](const auto& entry) { return entry.function == 0; });
    if (leaf0 == entries.end()) return CpuVendor::Other;
    char name[12];
    std::memcpy(name, &leaf0->ebx, 4);
    std::memcpy(name + 4, &leaf0->edx, 4);
    std::memcpy(name + 8, &leaf0->ecx, 4);
    std::string_view vendor(name, sizeof name);
    if (vendor == "GenuineIntel") return CpuVendor::Intel;
    if (vendor == "AuthenticAMD") return CpuVendor::Amd;
    return CpuVendor::Other;
}

std::string_view to_string(CpuVendor vendor) {
    switch (vendor) {
        case CpuVendor::Intel:
            return "Intel";
        case CpuVendor::Amd:
            return "AMD";
        case CpuVendor::Other:
            break;
    }
    return "other";
}

std::vector<kvm_cpuid_entry2> with_timing_leaf(std::vector<kvm_cpuid_entry2> entries, uint32_t tsc_khz) {
    auto hypervisor = std::find_if(entries.begin(), entries.end(),
                                   [](const auto& entry) { return entry.function == kHypervisorLeaf; });
    if (hypervisor == entries.end() || tsc_khz == 0) return entries;
    hypervisor->eax = std::max(hypervisor->eax, kTimingLeaf);  // EAX: the highest hypervisor leaf
    std::erase_if(entries, [](const auto& entry) { return entry.function == kTimingLeaf; });
    kvm_cpuid_entry2 timing{};
    timing.function = kTimingLeaf;
    timing.eax = tsc_khz;
    timing.ebx = kKvmApicBusKhz;
    entries.push_back(timing);
    return entries;
}

}  // namespace glassvm::x86
