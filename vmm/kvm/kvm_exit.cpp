// Decoding kvm_run into a VmExit (Documentation/virt/kvm/api.rst, "The kvm_run structure").
#include "vmm/kvm/kvm_exit.hpp"

#include <algorithm>

namespace glassvm {

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
