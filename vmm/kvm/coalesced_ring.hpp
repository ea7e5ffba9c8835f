// KVM's coalesced-write ring (KVM_REGISTER_COALESCED_MMIO, Documentation/virt/kvm/api.rst): a
// guest write to a registered zone does not exit to userspace. KVM appends it to a ring in a
// page it shares with the VMM and resumes the guest at once; the VMM replays the queued writes
// later, in the order the guest made them. Reads of the zone still exit, as does a write that
// finds the ring full. QEMU uses the same mechanism for device registers whose writes have no
// effect the guest could see before its next exit. Above the seam this is a CoalescedWriteQueue
// (vmm/accel/accelerator.hpp).
#pragma once

#include <linux/kvm.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "vmm/accel/accelerator.hpp"
#include "vmm/kvm/kvm_system.hpp"
#include "vmm/kvm/kvm_vcpu.hpp"
#include "vmm/kvm/kvm_vm.hpp"

namespace glassvm {

// The C layout of `struct kvm_coalesced_mmio_ring` without its entries. The entries follow at
// byte 8; g++ 12 places the header's flexible array member (`coalesced_mmio`) at 16 instead, so
// the entries are addressed from this layout (as for kvm_cpuid2, kvm/cpuid_ioctls.hpp).
struct CoalescedRingHeader {
    uint32_t first;  // the oldest queued entry: advanced by the VMM
    uint32_t last;   // where KVM writes the next one
};
static_assert(sizeof(CoalescedRingHeader) == 8 && sizeof(kvm_coalesced_mmio) == 24);

class CoalescedRing final : public CoalescedWriteQueue {
public:
    // The ring of `vm`, seen through `vcpu`'s kvm_run mapping (every vCPU's mapping holds the same
    // page, at the offset KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO) returns). Nothing when this
    // KVM cannot coalesce port writes (KVM_CAP_COALESCED_PIO) or maps no ring page.
    static std::unique_ptr<CoalescedRing> open(const KvmSystem& kvm, const KvmVm& vm, const KvmVcpu& vcpu);

    // KVM_REGISTER_COALESCED_MMIO / KVM_UNREGISTER_COALESCED_MMIO for [address, +size).
    // Writes already queued stay queued.
    void add_zone(IoEventSpace space, uint64_t address, uint32_t size) override;
    void remove_zone(IoEventSpace space, uint64_t address, uint32_t size) override;

    bool empty() const override;

    // Calls `each` for every queued write, oldest first, and hands each slot back to KVM after
    // its call. One consumer at a time: callers serialize drains.
    size_t drain(const std::function<void(const CoalescedWrite&)>& each) override {
        size_t drained = 0;
        uint32_t first = m_header->first;
        while (first != std::atomic_ref(m_header->last).load(std::memory_order_acquire)) {
            const kvm_coalesced_mmio& entry = m_entries[first];
            uint32_t length = entry.len <= sizeof entry.data ? entry.len : sizeof entry.data;
            each(CoalescedWrite{entry.pio ? IoEventSpace::Port : IoEventSpace::Mmio, entry.phys_addr,
                                std::span<const uint8_t>(entry.data, length)});
            first = (first + 1) % m_capacity;
            std::atomic_ref(m_header->first).store(first, std::memory_order_release);
            ++drained;
        }
        return drained;
    }

private:
    CoalescedRing(int vm_fd, uint8_t* page, uint32_t capacity)
            : m_vm_fd(vm_fd),
              m_header(reinterpret_cast<CoalescedRingHeader*>(page)),
              m_entries(reinterpret_cast<kvm_coalesced_mmio*>(page + sizeof(CoalescedRingHeader))),
              m_capacity(capacity) {}

    int m_vm_fd;
    // In a vCPU's kvm_run mapping, which outlives the ring.
    CoalescedRingHeader* m_header;
    kvm_coalesced_mmio* m_entries;
    uint32_t m_capacity;  // KVM_COALESCED_MMIO_MAX: entries that fit in the page
};

}  // namespace glassvm
