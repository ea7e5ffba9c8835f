// What to ask of KVM_SET_GUEST_DEBUG (Documentation/virt/kvm/api.rst): single-step, int3
// interception for software breakpoints, and execute breakpoints in the debug registers
// DR0–DR3 with their enable bits in DR7 (Intel SDM vol. 3B, 17.2 "Debug Registers").
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace glassvm::gdb {

inline constexpr uint32_t kDebugException = 1;          // #DB: single-step, debug-register hit
inline constexpr uint32_t kBreakpointException = 3;     // #BP: int3
inline constexpr int kMaxHardwareBreakpoints = 4;       // DR0–DR3
inline constexpr uint64_t kDr6SingleStep = 1ull << 14;  // DR6.BS

struct GuestDebugRequest {
    bool single_step = false;
    bool intercept_int3 = false;                 // KVM_GUESTDBG_USE_SW_BP
    std::vector<uint64_t> hardware_breakpoints;  // execute breakpoints, at most four

    bool enabled() const { return single_step || intercept_int3 || !hardware_breakpoints.empty(); }

    static GuestDebugRequest stepping() {
        return {.single_step = true, .intercept_int3 = false, .hardware_breakpoints = {}};
    }
    static GuestDebugRequest int3() {
        return {.single_step = false, .intercept_int3 = true, .hardware_breakpoints = {}};
    }
    static GuestDebugRequest breakpoint_at(uint64_t address) {
        return {.single_step = false, .intercept_int3 = false, .hardware_breakpoints = {address}};
    }
};

// The kvm_guest_debug for `request`; all zero (guest debugging off) when nothing is asked.
kvm_guest_debug to_kvm_guest_debug(const GuestDebugRequest& request);

// Whether the instruction starting with `bytes` can leave ring 0 for ring 3: iret, far ret,
// sysret, sysexit (after any operand-size or REX prefixes). Where only ring 0 can be single-
// stepped, stepping one of these would hand the guest a #DB in user mode.
bool may_enter_user_mode(std::span<const uint8_t> bytes);

}  // namespace glassvm::gdb
