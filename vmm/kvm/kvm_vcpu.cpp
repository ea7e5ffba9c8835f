// vCPU ioctls (KVM_RUN is the hot path: it throws only on real failures) and kvm_run → VmExit.
#include "vmm/kvm/kvm_vcpu.hpp"

#include <sys/ioctl.h>

#include <cstring>

#include <algorithm>
#include "vmm/kvm/cpuid_ioctls.hpp"

namespace glassvm {

KvmVcpu::KvmVcpu(int index, Fd fd, const KvmVcpuTraits& traits)
        : m_index(index),
          m_traits(traits),
          m_fd(std::move(fd)),
          m_run_area(
              Mapping::create("mmap kvm_run", traits.run_area_size, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd.get())) {}

kvm_regs KvmVcpu::regs() const {
    kvm_regs regs{};
    check_syscall("KVM_GET_REGS", ::ioctl(m_fd.get(), KVM_GET_REGS, &regs));
    return regs;
}

void KvmVcpu::set_regs(const kvm_regs& regs) {
    check_syscall("KVM_SET_REGS", ::ioctl(m_fd.get(), KVM_SET_REGS, &regs));
}

kvm_sregs KvmVcpu::sregs() const {
    kvm_sregs sregs{};
    check_syscall("KVM_GET_SREGS", ::ioctl(m_fd.get(), KVM_GET_SREGS, &sregs));
    return sregs;
}

void KvmVcpu::set_sregs(const kvm_sregs& sregs) {
    check_syscall("KVM_SET_SREGS", ::ioctl(m_fd.get(), KVM_SET_SREGS, &sregs));
}

void KvmVcpu::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) {
    std::vector<uint8_t> buffer(kvm_ioctl::kCpuidEntriesOffset + entries.size() * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_ioctl::CpuidHeader*>(buffer.data());
    cpuid->nent = static_cast<uint32_t>(entries.size());
    std::memcpy(buffer.data() + kvm_ioctl::kCpuidEntriesOffset, entries.data(),
                entries.size() * sizeof(kvm_cpuid_entry2));
    check_syscall("KVM_SET_CPUID2", ::ioctl(m_fd.get(), kvm_ioctl::kSetCpuid2, cpuid));
}

std::vector<kvm_cpuid_entry2> KvmVcpu::cpuid() const {
    constexpr uint32_t kMaxEntries = 256;  // KVM_MAX_CPUID_ENTRIES
    std::vector<uint8_t> buffer(kvm_ioctl::kCpuidEntriesOffset + kMaxEntries * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_ioctl::CpuidHeader*>(buffer.data());
    cpuid->nent = kMaxEntries;
    check_syscall("KVM_GET_CPUID2", ::ioctl(m_fd.get(), kvm_ioctl::kGetCpuid2, cpuid));
    std::vector<kvm_cpuid_entry2> entries(cpuid->nent);  // from the C layout: see cpuid_ioctls.hpp
    std::memcpy(entries.data(), buffer.data() + kvm_ioctl::kCpuidEntriesOffset,
                entries.size() * sizeof(kvm_cpuid_entry2));
    return entries;
}

uint32_t KvmVcpu::tsc_khz() const {
    int khz = ::ioctl(m_fd.get(), KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? static_cast<uint32_t>(khz) : 0;
}

std::optional<ProcessorState> KvmVcpu::processor_state() const {
    if (!m_traits.in_kernel_irqchip) return std::nullopt;
    kvm_mp_state state{};
    check_syscall("KVM_GET_MP_STATE", ::ioctl(m_fd.get(), KVM_GET_MP_STATE, &state));
    switch (state.mp_state) {
        case KVM_MP_STATE_HALTED:
            return ProcessorState::Halted;
        case KVM_MP_STATE_UNINITIALIZED:
            return ProcessorState::WaitingForInit;
        case KVM_MP_STATE_INIT_RECEIVED:
            return ProcessorState::WaitingForSipi;
        default:
            return ProcessorState::Running;
    }
}

void KvmVcpu::set_guest_debug(const GuestDebugRequest& request) {
    kvm_guest_debug debug = to_kvm_guest_debug(request);
    check_syscall("KVM_SET_GUEST_DEBUG", ::ioctl(m_fd.get(), KVM_SET_GUEST_DEBUG, &debug));
}

bool KvmVcpu::sync_registers_at_exit() {
    if (!m_traits.can_sync_registers) return false;
    run_area().kvm_valid_regs = KVM_SYNC_X86_REGS;
    m_registers_synced = true;
    return true;
}

uint64_t KvmVcpu::exit_rip() const { return m_registers_synced ? run_area().s.regs.regs.rip : regs().rip; }

std::optional<VmExit> KvmVcpu::run() {
    for (;;) {
        if (::ioctl(m_fd.get(), KVM_RUN, 0) == 0) return decode_exit(run_area());
        // EINTR: a signal (our kick) or immediate_exit. EAGAIN: an application processor
        // leaving wait-for-SIPI asks to be run again (docs/KVM-LAB.md; QEMU retries too).
        if (errno == EINTR) {
            run_area().immediate_exit = 0;
            return std::nullopt;
        }
        if (errno != EAGAIN) throw Error::from_errno("KVM_RUN", errno);
    }
}

namespace {

// DR7 (SDM vol. 3B, 17.2.4): Gn (bit 2n+1) enables breakpoint n globally; R/Wn (bits 16+4n)
// and LENn (18+4n) stay 00 for an instruction breakpoint. GE (bit 9) as QEMU sets it, and bit
// 10, which always reads as 1.
constexpr uint64_t kDr7Base = (1ull << 9) | (1ull << 10);
constexpr uint64_t global_enable(size_t n) { return 1ull << (2 * n + 1); }
constexpr size_t kDebugAddressRegisters = 4;  // DR0–DR3

}  // namespace

kvm_guest_debug to_kvm_guest_debug(const GuestDebugRequest& request) {
    kvm_guest_debug debug{};
    if (request.inject_breakpoint) debug.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_BP;
    if (!request.enabled()) return debug;
    debug.control |= KVM_GUESTDBG_ENABLE;
    if (request.single_step) debug.control |= KVM_GUESTDBG_SINGLESTEP;
    if (request.intercept_int3) debug.control |= KVM_GUESTDBG_USE_SW_BP;
    if (!request.hardware_breakpoints.empty()) {
        debug.control |= KVM_GUESTDBG_USE_HW_BP;
        debug.arch.debugreg[7] = kDr7Base;
        for (size_t n = 0; n < request.hardware_breakpoints.size() && n < kDebugAddressRegisters; ++n) {
            debug.arch.debugreg[n] = request.hardware_breakpoints[n];
            debug.arch.debugreg[7] |= global_enable(n);
        }
    }
    return debug;
}

VmExit decode_exit(kvm_run& run) {
    switch (run.exit_reason) {
        case KVM_EXIT_IO: {
            auto* base = reinterpret_cast<uint8_t*>(&run) + run.io.data_offset;
            return PortIoExit{.port = run.io.port,
                              .size = run.io.size,
                              .is_write = run.io.direction == KVM_EXIT_IO_OUT,
                              .count = run.io.count,
                              .data = std::span<uint8_t>(base, size_t{run.io.size} * run.io.count)};
        }
        case KVM_EXIT_MMIO:
            return MmioExit{.address = run.mmio.phys_addr,
                            .is_write = run.mmio.is_write != 0,
                            .data = std::span<uint8_t>(run.mmio.data, std::min<size_t>(run.mmio.len, 8))};
        case KVM_EXIT_HLT:
            return HaltExit{};
        case KVM_EXIT_SHUTDOWN:
            return ShutdownExit{};
        case KVM_EXIT_FAIL_ENTRY:
            return FailEntryExit{.hardware_reason = run.fail_entry.hardware_entry_failure_reason};
        case KVM_EXIT_INTERNAL_ERROR: {
            InternalErrorExit exit{.suberror = run.internal.suberror,
                                   .data_count = std::min<uint32_t>(run.internal.ndata, 16),
                                   .data = {}};
            std::copy_n(run.internal.data, exit.data_count, exit.data.begin());
            return exit;
        }
        case KVM_EXIT_DEBUG:
            return DebugExit{.exception = run.debug.arch.exception,
                             .pc = run.debug.arch.pc,
                             .dr6 = run.debug.arch.dr6,
                             .dr7 = run.debug.arch.dr7};
        default:
            return UnknownExit{.reason = run.exit_reason, .name = exit_reason_name(run.exit_reason)};
    }
}

std::string_view exit_reason_name(uint32_t reason) {
    switch (reason) {
        case KVM_EXIT_UNKNOWN:
            return "UNKNOWN";
        case KVM_EXIT_EXCEPTION:
            return "EXCEPTION";
        case KVM_EXIT_IO:
            return "IO";
        case KVM_EXIT_HYPERCALL:
            return "HYPERCALL";
        case KVM_EXIT_DEBUG:
            return "DEBUG";
        case KVM_EXIT_HLT:
            return "HLT";
        case KVM_EXIT_MMIO:
            return "MMIO";
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            return "IRQ_WINDOW_OPEN";
        case KVM_EXIT_SHUTDOWN:
            return "SHUTDOWN";
        case KVM_EXIT_FAIL_ENTRY:
            return "FAIL_ENTRY";
        case KVM_EXIT_INTR:
            return "INTR";
        case KVM_EXIT_SET_TPR:
            return "SET_TPR";
        case KVM_EXIT_TPR_ACCESS:
            return "TPR_ACCESS";
        case KVM_EXIT_NMI:
            return "NMI";
        case KVM_EXIT_INTERNAL_ERROR:
            return "INTERNAL_ERROR";
        case KVM_EXIT_SYSTEM_EVENT:
            return "SYSTEM_EVENT";
        case KVM_EXIT_IOAPIC_EOI:
            return "IOAPIC_EOI";
        case KVM_EXIT_X86_RDMSR:
            return "X86_RDMSR";
        case KVM_EXIT_X86_WRMSR:
            return "X86_WRMSR";
        default:
            return "?";
    }
}

}  // namespace glassvm
