// The guest-debug probe: a 4 MiB VM in long mode (the same boot state as the real guest, built
// by the same x86/ helpers) runs four tiny programs — nops under single-step in ring 0 and in
// ring 3, an int3 under KVM_GUESTDBG_USE_SW_BP, nops under a hardware execute breakpoint — and
// checks that each ends in the KVM_EXIT_DEBUG it should (Documentation/virt/kvm/api.rst,
// KVM_SET_GUEST_DEBUG). The VM has no IDT, so an exception KVM fails to intercept reaches the
// guest and triple-faults: a clear "no".
#include "vmm/debug/gdb/debug_probe.hpp"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "vmm/accel/accelerator.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/accel/vm_exit.hpp"
#include "vmm/debug/gdb/guest_access.hpp"
#include "vmm/run/accelerator_choice.hpp"
#include "vmm/run/vcpu_runner.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/cpuid.hpp"
#include "vmm/x86/gdt.hpp"
#include "vmm/x86/layout.hpp"
#include "vmm/x86/page_tables.hpp"

namespace glassvm::gdb {

namespace {

constexpr uint64_t kProbeRamBytes = 4 << 20;
// Ring-0 code just above the page tables; ring-3 code in the first user-accessible 2 MiB page.
constexpr uint64_t kKernelCode = layout::kBootTablesEnd;
constexpr uint64_t kUserCode = layout::kLargePageSize;
constexpr int kStepsRequired = 16;
constexpr uint8_t kNop = 0x90, kInt3 = 0xcc, kHlt = 0xf4;

enum class Ring {
    Kernel,
    User
};

struct ProbeVm {
    // The backend the VM being debugged runs on: whether guest debugging works is its question.
    explicit ProbeVm(AcceleratorChoice choice) : accelerator(open_accelerator(choice).accelerator) { set_up(); }

    std::unique_ptr<Accelerator> accelerator;
    // No interrupt controllers: nothing here takes an interrupt.
    std::unique_ptr<VirtualMachine> vm;
    GuestMemory memory = GuestMemory::allocate(kProbeRamBytes);
    VirtualCpu* vcpu = nullptr;
    uint64_t cr3 = 0;

    void set_up() {
        vm = accelerator->create_vm({.interrupt_controllers = false});
        vm->map_memory(0, layout::kRamBase, memory);
        vcpu = &vm->create_vcpu(0);
        x86::write_boot_gdt(memory);
        cr3 = x86::build_identity_page_tables(memory);
        vcpu->set_cpuid(x86::guest_cpuid(accelerator->supported_cpuid(), 0));
    }

    // Puts `code` in `ring`'s code page and the vCPU at its start, with guest debugging `request`.
    // Ring 3 needs no GDT entries: KVM enters the guest from the segment state given here.
    uint64_t restart(std::span<const uint8_t> code, Ring ring, const GuestDebugRequest& request) {
        uint64_t address = ring == Ring::Kernel ? kKernelCode : kUserCode;
        std::memcpy(memory.slice(address, code.size()).data(), code.data(), code.size());
        kvm_sregs sregs = x86::long_mode_sregs(vcpu->sregs(), cr3);
        if (ring == Ring::User) {
            for (kvm_segment* segment : {&sregs.cs, &sregs.ss, &sregs.ds, &sregs.es}) segment->dpl = 3;
            sregs.cs.selector = 0x18 | 3;
            sregs.ss.selector = sregs.ds.selector = sregs.es.selector = 0x20 | 3;
        }
        vcpu->set_sregs(sregs);
        kvm_regs regs{};
        regs.rip = address;
        regs.rsp = ring == Ring::Kernel ? layout::kBootStackTop : kUserCode + layout::kLargePageSize;
        regs.rflags = 0x2;
        vcpu->set_regs(regs);
        vcpu->set_guest_debug(request);
        return address;
    }

    // One run; nullopt when the watchdog interrupted it.
    std::optional<VmExit> run() { return vcpu->run(); }
};

// The probe's time limit: checked between tests, and enforced inside a KVM_RUN that does not
// return by a thread that kicks the probe's vCPU out of it at the deadline.
class Watchdog {
public:
    Watchdog(VirtualCpu& vcpu, std::chrono::milliseconds limit)
            : m_deadline(std::chrono::steady_clock::now() + limit),
              m_thread([this, &vcpu, target = ::pthread_self()](std::stop_token stop) {
                  // Sleep until the deadline, or until the probe is over (the jthread's stop request).
                  std::mutex mutex;
                  std::condition_variable_any wakeup;
                  std::unique_lock lock(mutex);
                  wakeup.wait_until(lock, stop, m_deadline, [] { return false; });
                  if (!stop.stop_requested()) kick(vcpu, target);
              }) {}
    bool expired() const { return std::chrono::steady_clock::now() >= m_deadline; }

private:
    std::chrono::steady_clock::time_point m_deadline;
    std::jthread m_thread;  // last: starts after, and is joined before, what it uses
};

std::string describe(const std::optional<VmExit>& exit) {
    return exit ? std::string(exit_name(*exit)) : std::string("no exit before the deadline");
}

// Single-step through nops: each KVM_RUN must end in a #DB exit one byte further on.
std::string probe_single_step(ProbeVm& probe, Ring ring, bool& works) {
    std::vector<uint8_t> code(kStepsRequired + 1, kNop);
    code.back() = kHlt;
    uint64_t start = probe.restart(code, ring, GuestDebugRequest::stepping());
    std::string_view name = ring == Ring::Kernel ? "ring-0 single-step" : "ring-3 single-step";
    for (int step = 1; step <= kStepsRequired; ++step) {
        auto exit = probe.run();
        auto* debug = exit ? std::get_if<DebugExit>(&*exit) : nullptr;
        if (!debug || debug->exception != kDebugException || probe.vcpu->regs().rip != start + step)
            return fmt::format("{}: no ({} after {} step(s))", name, describe(exit), step - 1);
    }
    works = true;
    return fmt::format("{}: yes", name);
}

// An int3 under KVM_GUESTDBG_USE_SW_BP must exit as #BP at the int3, not reach the guest.
std::string probe_software_breakpoint(ProbeVm& probe, bool& works) {
    const uint8_t code[] = {kNop, kNop, kInt3, kHlt};
    uint64_t start = probe.restart(code, Ring::Kernel, GuestDebugRequest::int3());
    auto exit = probe.run();
    auto* debug = exit ? std::get_if<DebugExit>(&*exit) : nullptr;
    works = debug && debug->exception == kBreakpointException && debug->pc == start + 2;
    return works ? "int3 breakpoints: yes" : fmt::format("int3 breakpoints: no ({})", describe(exit));
}

// A debug-register execute breakpoint on the fourth nop must exit as #DB there. On x86 KVM takes
// DR0–DR3 for KVM_GUESTDBG_USE_HW_BP whenever asked: KVM_CAP_GUEST_DEBUG_HW_BPS, which counts
// breakpoint registers, is arm64's and reads 0 on x86, so the probe tries rather than asks.
std::string probe_hardware_breakpoint(ProbeVm& probe, int& usable) {
    const uint8_t code[] = {kNop, kNop, kNop, kNop, kHlt};
    uint64_t start = probe.restart(code, Ring::Kernel, GuestDebugRequest::breakpoint_at(kKernelCode + 3));
    auto exit = probe.run();
    auto* debug = exit ? std::get_if<DebugExit>(&*exit) : nullptr;
    bool works = debug && debug->exception == kDebugException && debug->pc == start + 3;
    usable = works ? kMaxHardwareBreakpoints : 0;
    return works ? fmt::format("hardware breakpoints: {}", usable)
                 : fmt::format("hardware breakpoints: no ({})", describe(exit));
}

GuestDebugSupport run_probe(std::chrono::milliseconds deadline, AcceleratorChoice accelerator) {
    GuestDebugSupport support;
    ProbeVm probe(accelerator);
    support.probed = true;
    support.accelerator = probe.accelerator->name();
    if (!probe.vcpu->has_guest_debug()) {
        support.summary = fmt::format("{} offers no guest debugging", probe.accelerator->name());
        return support;
    }
    Watchdog watchdog(*probe.vcpu, deadline);
    std::vector<std::string> findings;
    findings.push_back(probe_single_step(probe, Ring::Kernel, support.kernel_single_step));
    if (!watchdog.expired()) findings.push_back(probe_single_step(probe, Ring::User, support.user_single_step));
    if (!watchdog.expired()) findings.push_back(probe_software_breakpoint(probe, support.software_breakpoints));
    if (!watchdog.expired()) findings.push_back(probe_hardware_breakpoint(probe, support.hardware_breakpoints));
    if (watchdog.expired()) findings.push_back("the rest was not tried: the probe ran out of time");
    support.summary = fmt::format("{}", fmt::join(findings, "; "));
    return support;
}

}  // namespace

GuestDebugSupport probe_guest_debug(std::chrono::milliseconds deadline, AcceleratorChoice accelerator) {
    try {
        install_kick_signal_handler();
        return run_probe(deadline, accelerator);
    } catch (const std::exception& error) {
        GuestDebugSupport none;
        none.summary = fmt::format("the probe VM failed: {}", error.what());
        return none;
    }
}

}  // namespace glassvm::gdb
