// A KVM virtual machine: its fd, the guest-physical memory slots, and vCPU creation.
#pragma once

#include <cstdint>

#include "core/fd.hpp"
#include "kvm/guest_memory.hpp"
#include "kvm/kvm_system.hpp"
#include "kvm/vcpu.hpp"

namespace glassvm {

class Vm {
public:
    // KVM_CREATE_VM, after checking the capabilities every glassvm VM relies on.
    static Vm create(const KvmSystem& kvm);

    int fd() const { return m_fd.get(); }

    // KVM_SET_USER_MEMORY_REGION: guest-physical [guest_address, +memory.size()) is backed by
    // `memory`, which must outlive the VM.
    void map_memory(uint32_t slot, uint64_t guest_address, const GuestMemory& memory);

    // KVM_SET_TSS_ADDR: three pages of guest-physical space Intel's VMX needs for real-mode
    // emulation; they must not overlap RAM or devices.
    void set_tss_address(uint64_t guest_address);

    // KVM_CREATE_IRQCHIP: the in-kernel interrupt controllers — a local APIC per vCPU (created
    // with it, so this must come first), an I/O APIC and two 8259 PICs. With it, KVM runs the
    // LAPIC's IPIs (INIT, SIPI) and HLT itself, and application processors created after it wait
    // for INIT-SIPI-SIPI (KVM_MP_STATE_UNINITIALIZED) instead of running.
    void create_irqchip();

    // KVM_CREATE_VCPU with the given vCPU (APIC) id.
    Vcpu create_vcpu(const KvmSystem& kvm, int index);

private:
    explicit Vm(Fd fd) : m_fd(std::move(fd)) {}

    Fd m_fd;
};

}  // namespace glassvm
