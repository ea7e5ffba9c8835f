// A VM exit as a typed value: why VirtualCpu::run() (vmm/accel/accelerator.hpp) gave the guest
// back to the VMM. Each accelerator decodes its own exits into these (KVM's kvm_run:
// vmm/kvm/kvm_vcpu.hpp); the names are KVM's KVM_EXIT_* names, which traces and statistics use.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

namespace glassvm {

// IN/OUT (and their REP string forms: `count` transfers of `size` bytes each).
struct PortIoExit {
    uint16_t port;
    uint8_t size;   // 1, 2 or 4
    bool is_write;  // OUT
    uint32_t count;
    std::span<uint8_t> data;  // size * count bytes inside the vCPU: read for OUT, filled for IN
};

// A load or store to guest-physical memory no RAM slot backs.
struct MmioExit {
    uint64_t address;
    bool is_write;
    std::span<uint8_t> data;  // 1..8 bytes inside the vCPU
};

// HLT that nothing will wake: an exit (no interrupt controllers in the accelerator), or, with them,
// every vCPU found halted with interrupts off by the halt watch (run/halt_watch.hpp).
struct HaltExit {};
struct ShutdownExit {};  // triple fault: the CPU could not deliver an exception

struct FailEntryExit {
    uint64_t hardware_reason;  // VMX exit qualification / SVM code for the failed VM entry
};

struct InternalErrorExit {
    uint32_t suberror;  // 1 (KVM_INTERNAL_ERROR_EMULATION) when the emulator could not go on
    uint32_t data_count;
    std::array<uint64_t, 16> data;
};

// A guest-debug event: a breakpoint (#BP, exception 3) or a single step / hardware breakpoint
// (#DB, exception 1), delivered only while guest debugging is on (VirtualCpu::set_guest_debug).
struct DebugExit {
    uint32_t exception;
    uint64_t pc;
    uint64_t dr6;
    uint64_t dr7;
};

struct UnknownExit {
    uint32_t reason;        // the accelerator's own code for it (KVM: a KVM_EXIT_* glassvm does not handle)
    std::string_view name;  // its name, one of known_exit_names() or "?"
};

using VmExit = std::variant<PortIoExit, MmioExit, HaltExit, ShutdownExit, FailEntryExit, InternalErrorExit, DebugExit,
                            UnknownExit>;

// The name of an exit, as in traces and statistics ("IO", "MMIO", "SHUTDOWN", …).
std::string_view exit_name(const VmExit& exit);
// Every name exit_name() can give (the stepper's `continue REASON` accepts these).
std::span<const std::string_view> known_exit_names();

}  // namespace glassvm
