// The VcpuContext services observers use: address translation and the kick.
#include "vmm/run/vcpu_observer.hpp"

#include "vmm/run/vcpu_runner.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/page_tables.hpp"

namespace glassvm {

std::optional<uint64_t> VcpuContext::translate(uint64_t virtual_address) const {
    kvm_sregs sregs = vcpu.sregs();
    return x86::translate(memory, sregs.cr3, (sregs.cr0 & x86::kCr0Pg) != 0, virtual_address);
}

void VcpuContext::kick() { glassvm::kick(vcpu, thread); }

}  // namespace glassvm
