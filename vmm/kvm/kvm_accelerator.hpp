// KVM as the accelerator (vmm/accel/accelerator.hpp): /dev/kvm opened once, VMs created from it.
// The only way into vmm/kvm/ from above the seam (vmm/run/accelerator_choice.cpp picks it).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "vmm/accel/accelerator.hpp"
#include "vmm/kvm/kvm_system.hpp"

namespace glassvm {

class KvmAccelerator final : public Accelerator {
public:
    // Opens `device_path` (KvmSystem::open: plain-language errors when it is missing or closed).
    explicit KvmAccelerator(std::string_view device_path = "/dev/kvm");

    std::string_view name() const override { return "KVM"; }
    // KVM_CAP_MAX_VCPUS (KVM_CAP_NR_VCPUS when that is absent).
    int max_vcpus() const override { return m_kvm.max_vcpus(); }
    // KVM_GET_SUPPORTED_CPUID, asked once.
    std::vector<kvm_cpuid_entry2> supported_cpuid() const override;
    std::unique_ptr<VirtualMachine> create_vm(const VmOptions& options) override;

    const KvmSystem& system() const { return m_kvm; }

private:
    KvmSystem m_kvm;
    mutable std::vector<kvm_cpuid_entry2> m_supported;  // empty until first asked
};

}  // namespace glassvm
