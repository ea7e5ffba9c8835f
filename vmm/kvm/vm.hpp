// A KVM virtual machine: its fd, the guest-physical memory slots, and vCPU creation.
#pragma once

#include <cstdint>
#include <span>

#include "base/fd.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/kvm/kvm_system.hpp"
#include "vmm/kvm/vcpu.hpp"

namespace glassvm {

// Where an ioeventfd listens: the x86 I/O port space or guest-physical (MMIO) addresses.
enum class IoEventSpace {
    Port,
    Mmio
};

class Vm {
public:
    // KVM_CREATE_VM, after checking the capabilities every glassvm VM relies on.
    static Vm create(const KvmSystem& kvm);

    // The features this VM was created with that are optional in KVM.
    bool has_ioeventfd() const { return m_has_ioeventfd; }

    int fd() const { return m_fd.get(); }

    // KVM_SET_USER_MEMORY_REGION: guest-physical [guest_address, +memory.size()) is backed by
    // `memory`, which must outlive the VM.
    void map_memory(uint32_t slot, uint64_t guest_address, const GuestMemory& memory);

    // KVM_SET_USER_MEMORY_REGION with KVM_MEM_READONLY: guest-physical [guest_address,
    // +image.size()) reads and executes `image` (which must outlive the VM); a guest write there
    // is not performed but comes back as a KVM_EXIT_MMIO write. A host KVM without
    // KVM_CAP_READONLY_MEM is an Error saying so.
    void map_read_only(uint32_t slot, uint64_t guest_address, std::span<const uint8_t> image);

    // KVM_SET_TSS_ADDR: three pages of guest-physical space Intel's VMX needs for real-mode
    // emulation; they must not overlap RAM or devices.
    void set_tss_address(uint64_t guest_address);

    // KVM_IOEVENTFD: a guest write of exactly `length` bytes to `address` (a port or an MMIO
    // address) signals `event_fd` inside KVM and resumes the guest; userspace sees no exit.
    void add_ioeventfd(IoEventSpace space, uint64_t address, uint32_t length, int event_fd);

    // KVM_CREATE_VCPU with the given vCPU (APIC) id.
    Vcpu create_vcpu(const KvmSystem& kvm, int index);

private:
    Vm(Fd fd, bool has_ioeventfd) : m_fd(std::move(fd)), m_has_ioeventfd(has_ioeventfd) {}

    Fd m_fd;
    bool m_has_ioeventfd;
};

}  // namespace glassvm
