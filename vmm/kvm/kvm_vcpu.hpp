// One KVM virtual CPU (a VirtualCpu, vmm/accel/accelerator.hpp): its fd, its shared kvm_run area,
// register access and KVM_RUN itself; and KVM's side of typed exits, decode_exit(), which reads
// the kvm_run area KVM_RUN filled in and returns a VmExit (vmm/accel/vm_exit.hpp). Decoding
// issues no ioctl, so unit tests feed it fabricated kvm_run contents.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <vector>

#include <string_view>
#include "base/fd.hpp"
#include "base/mapping.hpp"
#include "vmm/accel/accelerator.hpp"
#include "vmm/accel/vm_exit.hpp"

namespace glassvm {

// What a vCPU learns from its VM at creation.
struct KvmVcpuTraits {
    size_t run_area_size = 0;         // KVM_GET_VCPU_MMAP_SIZE
    bool can_sync_registers = false;  // KVM_CAP_SYNC_REGS
    bool in_kernel_irqchip = false;   // KVM_CREATE_IRQCHIP was called: KVM runs HLT and INIT/SIPI
    // Whether KVM re-initialises this vCPU when it intercepts a SHUTDOWN (triple fault). AMD's KVM
    // does: the VMCB is undefined after a SHUTDOWN intercept (AMD APM vol. 2, 15.9), so KVM puts
    // the vCPU through INIT (svm.c, shutdown_interception) before it returns KVM_EXIT_SHUTDOWN,
    // and the registers then hold the INIT state (rip 0xfff0, cs 0xf000), not where the guest
    // was. Intel's KVM keeps them.
    bool reset_by_shutdown = false;
};

class KvmVcpu final : public VirtualCpu {
public:
    KvmVcpu(int index, Fd fd, const KvmVcpuTraits& traits);

    int index() const override { return m_index; }
    int fd() const { return m_fd.get(); }
    kvm_run& run_area() const { return *reinterpret_cast<kvm_run*>(m_run_area.data()); }
    // The whole mapping: kvm_run, then the pages KVM shares after it (PIO data, coalesced ring).
    size_t run_area_size() const { return m_run_area.size(); }

    kvm_regs regs() const override;
    void set_regs(const kvm_regs& regs) override;
    kvm_sregs sregs() const override;
    void set_sregs(const kvm_sregs& sregs) override;
    void set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) override;
    // KVM_GET_CPUID2.
    std::vector<kvm_cpuid_entry2> cpuid() const override;
    // KVM_GET_TSC_KHZ, or 0 when KVM cannot tell.
    uint32_t tsc_khz() const override;

    // KVM_RUN once, then decode_exit (below). Nothing when a signal or
    // immediate_exit ended the call before or during guest execution.
    std::optional<VmExit> run() override;
    // Sets kvm_run.immediate_exit: the next (or current, when paired with a signal) KVM_RUN
    // returns EINTR. Safe to call from another thread.
    void request_exit() override { __atomic_store_n(&run_area().immediate_exit, 1, __ATOMIC_SEQ_CST); }

    // From kvm_run when synced, else by KVM_GET_REGS.
    uint64_t exit_rip() const override;
    bool reset_by_shutdown() const override { return m_traits.reset_by_shutdown; }

    // Asks KVM to copy the general registers into kvm_run at every exit (KVM_CAP_SYNC_REGS).
    bool sync_registers_at_exit() override;

    // KVM_GET_MP_STATE, meaningful with the in-kernel local APIC (which runs HLT and INIT/SIPI).
    std::optional<ProcessorState> processor_state() const override;

    // KVM_SET_GUEST_DEBUG: x86 KVM always accepts it (whether it delivers is the probe's question).
    bool has_guest_debug() const override { return true; }
    void set_guest_debug(const GuestDebugRequest& request) override;

private:
    int m_index;
    KvmVcpuTraits m_traits;
    bool m_registers_synced = false;
    Fd m_fd;
    Mapping m_run_area;
};

// The kvm_guest_debug for `request`: KVM_GUESTDBG_* control flags and, for hardware
// breakpoints, DR0–DR3 and DR7 (Intel SDM vol. 3B, 17.2 "Debug Registers"). All zero (guest
// debugging off) when nothing is asked.
kvm_guest_debug to_kvm_guest_debug(const GuestDebugRequest& request);

VmExit decode_exit(kvm_run& run);

// The KVM_EXIT_* name of a raw reason ("IO", "MMIO", "SHUTDOWN", …; "?" for one glassvm does not
// know). Every name but "?" is one of known_exit_names().
std::string_view exit_reason_name(uint32_t reason);

}  // namespace glassvm
