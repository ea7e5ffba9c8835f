// KVM's coalesced-write ring: finding the page, and registering zones.
#include "vmm/kvm/coalesced_ring.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include "base/error.hpp"

namespace glassvm {

namespace {

kvm_coalesced_mmio_zone make_zone(IoEventSpace space, uint64_t address, uint32_t size) {
    kvm_coalesced_mmio_zone zone{};
    zone.addr = address;
    zone.size = size;
    zone.pio = space == IoEventSpace::Port ? 1 : 0;
    return zone;
}

}  // namespace

std::unique_ptr<CoalescedRing> CoalescedRing::open(const KvmSystem& kvm, const KvmVm& vm, const KvmVcpu& vcpu) {
    int page = kvm.check_extension(KVM_CAP_COALESCED_MMIO);  // the ring's page offset, 0 if none
    if (page <= 0 || kvm.check_extension(KVM_CAP_COALESCED_PIO) <= 0) return nullptr;
    size_t page_size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_t offset = static_cast<size_t>(page) * page_size;
    if (offset + page_size > vcpu.run_area_size()) return nullptr;
    auto* page_address = reinterpret_cast<uint8_t*>(&vcpu.run_area()) + offset;
    // KVM_COALESCED_MMIO_MAX (include/uapi/linux/kvm.h): as many entries as fit after the header.
    auto capacity = static_cast<uint32_t>((page_size - sizeof(CoalescedRingHeader)) / sizeof(kvm_coalesced_mmio));
    return std::unique_ptr<CoalescedRing>(new CoalescedRing(vm.fd(), page_address, capacity));
}

void CoalescedRing::add_zone(IoEventSpace space, uint64_t address, uint32_t size) {
    kvm_coalesced_mmio_zone zone = make_zone(space, address, size);
    check_syscall("KVM_REGISTER_COALESCED_MMIO", ::ioctl(m_vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone));
}

void CoalescedRing::remove_zone(IoEventSpace space, uint64_t address, uint32_t size) {
    kvm_coalesced_mmio_zone zone = make_zone(space, address, size);
    check_syscall("KVM_UNREGISTER_COALESCED_MMIO", ::ioctl(m_vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &zone));
}

bool CoalescedRing::empty() const {
    return std::atomic_ref(m_header->first).load(std::memory_order_relaxed) ==
           std::atomic_ref(m_header->last).load(std::memory_order_acquire);
}

}  // namespace glassvm
