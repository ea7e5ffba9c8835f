// TEMP placeholder (dropped at merge): a SoftAccelerator that cannot start.
#include "vmm/soft/soft_accelerator.hpp"

#include "base/error.hpp"

namespace glassvm {

SoftAccelerator::SoftAccelerator() { throw Error(ErrorKind::System, "the soft CPU is not built in this tree"); }

std::vector<kvm_cpuid_entry2> SoftAccelerator::supported_cpuid() const { return {}; }

std::unique_ptr<VirtualMachine> SoftAccelerator::create_vm(const VmOptions&) {
    throw Error(ErrorKind::System, "the soft CPU is not built in this tree");
}

}  // namespace glassvm
