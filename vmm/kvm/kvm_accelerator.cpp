// KvmAccelerator: the KVM system handle behind the Accelerator interface.
#include "vmm/kvm/kvm_accelerator.hpp"

#include "vmm/kvm/kvm_vm.hpp"
#include "vmm/x86/cpuid.hpp"

namespace glassvm {

KvmAccelerator::KvmAccelerator(std::string_view device_path) : m_kvm(KvmSystem::open(device_path)) {}

std::vector<kvm_cpuid_entry2> KvmAccelerator::supported_cpuid() const {
    if (m_supported.empty()) m_supported = m_kvm.supported_cpuid();
    return m_supported;
}

std::unique_ptr<VirtualMachine> KvmAccelerator::create_vm(const VmOptions& options) {
    bool amd = x86::cpu_vendor(supported_cpuid()) == x86::CpuVendor::Amd;
    return KvmVm::create(m_kvm, options, amd);
}

}  // namespace glassvm
