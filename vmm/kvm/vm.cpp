// KVM VM ioctls: memory slots, the TSS area, the in-kernel irqchip, vCPU creation.
#include "kvm/vm.hpp"

#include <sys/ioctl.h>

namespace glassvm {

Vm Vm::create(const KvmSystem& kvm) {
    kvm.require_extension(KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
    kvm.require_extension(KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR");
    kvm.require_extension(KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID");
    kvm.require_extension(KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT");
    kvm.require_extension(KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP");
    return Vm(Fd(check_syscall("KVM_CREATE_VM", ::ioctl(kvm.fd(), KVM_CREATE_VM, 0))));
}

void Vm::map_memory(uint32_t slot, uint64_t guest_address, const GuestMemory& memory) {
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.guest_phys_addr = guest_address;
    region.memory_size = memory.size();
    region.userspace_addr = reinterpret_cast<uint64_t>(memory.host_base());
    check_syscall("KVM_SET_USER_MEMORY_REGION", ::ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &region));
}

void Vm::set_tss_address(uint64_t guest_address) {
    check_syscall("KVM_SET_TSS_ADDR", ::ioctl(fd(), KVM_SET_TSS_ADDR, guest_address));
}

void Vm::create_irqchip() { check_syscall("KVM_CREATE_IRQCHIP", ::ioctl(fd(), KVM_CREATE_IRQCHIP, 0)); }

Vcpu Vm::create_vcpu(const KvmSystem& kvm, int index) {
    Fd vcpu_fd(check_syscall("KVM_CREATE_VCPU", ::ioctl(fd(), KVM_CREATE_VCPU, index)));
    return Vcpu(index, std::move(vcpu_fd), kvm.vcpu_mmap_size());
}

}  // namespace glassvm
