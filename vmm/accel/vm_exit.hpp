// A VM exit as a typed value. decode_exit() reads the kvm_run area KVM_RUN filled in and
// returns one of these; it issues no ioctl, so unit tests feed it fabricated kvm_run contents.
#pragma once

#include <linux/kvm.h>

#include <array>
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
    std::span<uint8_t> data;  // size * count bytes inside kvm_run: read for OUT, filled for IN
};

// A load or store to guest-physical memory no RAM slot backs.
struct MmioExit {
    uint64_t address;
    bool is_write;
    std::span<uint8_t> data;  // 1..8 bytes inside kvm_run
};

// HLT that nothing will wake: KVM_EXIT_HLT (no in-kernel interrupt controller), or, with one,
// every vCPU found halted with interrupts off by the halt watch (run/halt_watch.hpp).
struct HaltExit {};
struct ShutdownExit {};  // triple fault: the CPU could not deliver an exception

struct FailEntryExit {
    uint64_t hardware_reason;  // VMX exit qualification / SVM code for the failed VM entry
};

struct InternalErrorExit {
    uint32_t suberror;  // KVM_INTERNAL_ERROR_EMULATION (1) when the emulator could not go on
    uint32_t data_count;
    std::array<uint64_t, 16> data;
};

// A guest-debug event: a breakpoint (#BP, exception 3) or a single step / hardware breakpoint
// (#DB, exception 1), delivered only while KVM_SET_GUEST_DEBUG is enabled.
struct DebugExit {
    uint32_t exception;
    uint64_t pc;
    uint64_t dr6;
    uint64_t dr7;
};

struct UnknownExit {
    uint32_t reason;  // a KVM_EXIT_* glassvm does not handle
};

using VmExit = std::variant<PortIoExit, MmioExit, HaltExit, ShutdownExit, FailEntryExit, InternalErrorExit, DebugExit,
                            UnknownExit>;

VmExit decode_exit(kvm_run& run);

// The KVM_EXIT_* name of a raw reason ("IO", "MMIO", "SHUTDOWN", …).
std::string_view exit_reason_name(uint32_t reason);
// The name of a decoded exit, as in traces and statistics.
std::string_view exit_name(const VmExit& exit);

}  // namespace glassvm
