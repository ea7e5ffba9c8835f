// One virtual CPU: its fd, its shared kvm_run area, register access and KVM_RUN itself.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

#include "base/fd.hpp"
#include "base/mapping.hpp"

namespace glassvm {

class Vcpu {
public:
    Vcpu(int index, Fd fd, size_t run_area_size);

    int index() const { return m_index; }
    int fd() const { return m_fd.get(); }
    kvm_run& run_area() const { return *reinterpret_cast<kvm_run*>(m_run_area.data()); }
    // The whole mapping: kvm_run, then the pages KVM shares after it (PIO data, coalesced ring).
    size_t run_area_size() const { return m_run_area.size(); }

    kvm_regs regs() const;
    void set_regs(const kvm_regs& regs);
    kvm_sregs sregs() const;
    void set_sregs(const kvm_sregs& sregs);
    void set_cpuid(const std::vector<kvm_cpuid_entry2>& entries);
    // KVM_GET_CPUID2: the CPUID this vCPU presents (what set_cpuid gave it).
    std::vector<kvm_cpuid_entry2> cpuid() const;
    // KVM_GET_TSC_KHZ: the guest's TSC frequency, or 0 when KVM cannot tell.
    uint32_t tsc_khz() const;
    // KVM_GET_MP_STATE: KVM_MP_STATE_RUNNABLE, _HALTED, _UNINITIALIZED (an AP waiting for INIT),
    // _INIT_RECEIVED (an AP waiting for SIPI)… Meaningful with the in-kernel local APIC, which
    // then runs HLT and INIT/SIPI itself.
    uint32_t mp_state() const;
    // KVM_SET_GUEST_DEBUG: single-step and breakpoint control (KVM_GUESTDBG_* flags).
    void set_guest_debug(const kvm_guest_debug& debug);

    // Whether KVM re-initialises this vCPU when it intercepts a SHUTDOWN (triple fault). AMD's KVM
    // does: the VMCB is undefined after a SHUTDOWN intercept (AMD APM vol. 2, 15.9), so KVM puts
    // the vCPU through INIT (svm.c, shutdown_interception) before it returns KVM_EXIT_SHUTDOWN,
    // and the registers then hold the INIT state (rip 0xfff0, cs 0xf000), not where the guest
    // was. Intel's KVM keeps them. The machine says which at creation (false by default).
    void set_reset_by_shutdown(bool reset) { m_reset_by_shutdown = reset; }
    bool reset_by_shutdown() const { return m_reset_by_shutdown; }

    // Asks KVM to copy the general registers into kvm_run at every exit (KVM_CAP_SYNC_REGS),
    // so observers read RIP without a KVM_GET_REGS ioctl. Returns false when unsupported.
    bool enable_register_sync(bool supported);
    // The RIP at the last exit: from kvm_run when synced, else by KVM_GET_REGS.
    uint64_t exit_rip() const;

    enum class RunResult {
        Exited,
        Interrupted
    };
    // KVM_RUN once. Exited: kvm_run describes why the guest stopped. Interrupted: a signal or
    // immediate_exit ended the call before or during guest execution.
    RunResult run();

    // Makes the next (or current, when paired with a signal) KVM_RUN return Interrupted.
    // Safe to call from another thread.
    void request_immediate_exit() { __atomic_store_n(&run_area().immediate_exit, 1, __ATOMIC_SEQ_CST); }

private:
    int m_index;
    bool m_registers_synced = false;
    bool m_reset_by_shutdown = false;
    Fd m_fd;
    Mapping m_run_area;
};

}  // namespace glassvm
