// KVM VM ioctls: memory slots, the TSS area, ioeventfds, vCPU creation.
#include "vmm/kvm/vm.hpp"

#include <sys/ioctl.h>

namespace glassvm {

Vm Vm::create(const KvmSystem& kvm) {
    kvm.require_extension(KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
    kvm.require_extension(KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR");
    kvm.require_extension(KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID");
    kvm.require_extension(KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT");
    Fd fd(check_syscall("KVM_CREATE_VM", ::ioctl(kvm.fd(), KVM_CREATE_VM, 0)));
    return Vm(std::move(fd), kvm.check_extension(KVM_CAP_IOEVENTFD) > 0);
}

void Vm::map_memory(uint32_t slot, uint64_t guest_address, const GuestMemory& memory) {
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.guest_phys_addr = guest_address;
    region.memory_size = memory.size();
    region.userspace_addr = reinterpret_cast<uint64_t>(memory.host_base());
    check_syscall("KVM_SET_USER_MEMORY_REGION", ::ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &region));
}

void Vm::map_read_only(uint32_t slot, uint64_t guest_address, std::span<const uint8_t> image) {
    if (::ioctl(fd(), KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
        throw Error(ErrorKind::Internal,
                    "this host's KVM has no KVM_CAP_READONLY_MEM, so it cannot map the "
                    "firmware ROM read-only (use --boot direct)");
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.flags = KVM_MEM_READONLY;
    region.guest_phys_addr = guest_address;
    region.memory_size = image.size();
    region.userspace_addr = reinterpret_cast<uint64_t>(image.data());
    check_syscall("KVM_SET_USER_MEMORY_REGION (read-only)", ::ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &region));
}

void Vm::set_tss_address(uint64_t guest_address) {
    check_syscall("KVM_SET_TSS_ADDR", ::ioctl(fd(), KVM_SET_TSS_ADDR, guest_address));
}

void Vm::add_ioeventfd(IoEventSpace space, uint64_t address, uint32_t length, int event_fd) {
    if (!m_has_ioeventfd) throw Error(ErrorKind::System, "KVM_IOEVENTFD: this KVM lacks KVM_CAP_IOEVENTFD");
    kvm_ioeventfd request{};
    request.addr = address;
    request.len = length;
    request.fd = event_fd;
    request.flags = space == IoEventSpace::Port ? KVM_IOEVENTFD_FLAG_PIO : 0;
    check_syscall("KVM_IOEVENTFD", ::ioctl(fd(), KVM_IOEVENTFD, &request));
}

Vcpu Vm::create_vcpu(const KvmSystem& kvm, int index) {
    Fd vcpu_fd(check_syscall("KVM_CREATE_VCPU", ::ioctl(fd(), KVM_CREATE_VCPU, index)));
    return Vcpu(index, std::move(vcpu_fd), kvm.vcpu_mmap_size());
}

}  // namespace glassvm
