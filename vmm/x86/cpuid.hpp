// The CPUID a vCPU sees: what KVM supports, with the per-CPU fields (APIC ids) filled in.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace glassvm::x86 {

std::vector<kvm_cpuid_entry2> guest_cpuid(std::vector<kvm_cpuid_entry2> supported, int vcpu_index);

}  // namespace glassvm::x86
