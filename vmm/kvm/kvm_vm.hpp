// A KVM virtual machine (a VirtualMachine, vmm/accel/accelerator.hpp): its fd, the guest-physical
// memory slots, the in-kernel interrupt controllers, ioeventfds, the coalesced ring and its vCPUs.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>

#include "base/fd.hpp"
#include "vmm/accel/accelerator.hpp"
#include "vmm/kvm/kvm_system.hpp"
#include "vmm/kvm/kvm_vcpu.hpp"

namespace glassvm {

class KvmVm final : public VirtualMachine {
public:
    // KVM_CREATE_VM, after checking the capabilities every glassvm VM relies on; then the TSS
    // area Intel's VMX needs, and (VmOptions::interrupt_controllers) the in-kernel PICs, I/O APIC
    // and PIT (vmm/kvm/irqchip.hpp). `kvm` must outlive the VM. `amd`: the host CPU is AMD's, whose
    // KVM re-initialises a vCPU at SHUTDOWN (KvmVcpuTraits::reset_by_shutdown).
    static std::unique_ptr<KvmVm> create(const KvmSystem& kvm, const VmOptions& options, bool amd);

    int fd() const { return m_fd.get(); }

    // KVM_SET_USER_MEMORY_REGION.
    void map_memory(uint32_t slot, uint64_t guest_address, const GuestMemory& memory) override;
    // KVM_SET_USER_MEMORY_REGION with KVM_MEM_READONLY; a host KVM without KVM_CAP_READONLY_MEM
    // is an Error saying so.
    void map_read_only(uint32_t slot, uint64_t guest_address, std::span<const uint8_t> image) override;

    // KVM_CREATE_VCPU with the given vCPU (APIC) id.
    KvmVcpu& create_vcpu(int index) override;

    bool has_interrupt_controllers() const override { return m_irqchip; }
    // KVM_IRQ_LINE.
    bool set_irq_line(uint32_t irq, bool high) const override;

    bool has_ioeventfd() const override { return m_has_ioeventfd; }
    // KVM_IOEVENTFD.
    void add_ioeventfd(IoEventSpace space, uint64_t address, uint32_t length, int event_fd) override;

    // The ring in vCPU 0's kvm_run mapping (vmm/kvm/coalesced_ring.hpp); nullptr when this KVM
    // cannot coalesce port writes or there is no vCPU yet.
    std::unique_ptr<CoalescedWriteQueue> open_coalesced_writes() override;

    // The VM's fd and every vCPU's.
    std::vector<int> file_descriptors() const override;

private:
    KvmVm(const KvmSystem& kvm, Fd fd) : m_kvm(kvm), m_fd(std::move(fd)) {}

    const KvmSystem& m_kvm;
    Fd m_fd;
    bool m_has_ioeventfd = false;
    bool m_irqchip = false;
    KvmVcpuTraits m_vcpu_traits;
    std::deque<KvmVcpu> m_vcpus;  // a deque: references to earlier vCPUs stay valid
};

}  // namespace glassvm
