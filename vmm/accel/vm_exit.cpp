// Naming exits: the typed ones, and the names an accelerator may give an UnknownExit.
#include "vmm/accel/vm_exit.hpp"

#include <array>

namespace glassvm {

namespace {

// KVM's KVM_EXIT_* names, the vocabulary every accelerator's exits are named in.
constexpr std::array<std::string_view, 19> kExitNames = {
    "UNKNOWN",         "EXCEPTION",    "IO",         "HYPERCALL", "DEBUG",    "HLT",        "MMIO",
    "IRQ_WINDOW_OPEN", "SHUTDOWN",     "FAIL_ENTRY", "INTR",      "SET_TPR",  "TPR_ACCESS", "NMI",
    "INTERNAL_ERROR",  "SYSTEM_EVENT", "IOAPIC_EOI", "X86_RDMSR", "X86_WRMSR"};

}  // namespace

std::string_view exit_name(const VmExit& exit) {
    struct Namer {
        std::string_view operator()(const PortIoExit&) const { return "IO"; }
        std::string_view operator()(const MmioExit&) const { return "MMIO"; }
        std::string_view operator()(const HaltExit&) const { return "HLT"; }
        std::string_view operator()(const ShutdownExit&) const { return "SHUTDOWN"; }
        std::string_view operator()(const FailEntryExit&) const { return "FAIL_ENTRY"; }
        std::string_view operator()(const InternalErrorExit&) const { return "INTERNAL_ERROR"; }
        std::string_view operator()(const DebugExit&) const { return "DEBUG"; }
        std::string_view operator()(const UnknownExit& e) const { return e.name; }
    };
    return std::visit(Namer{}, exit);
}

std::span<const std::string_view> known_exit_names() { return kExitNames; }

}  // namespace glassvm
