// Guest debugging as the GDB stub sees it: the exceptions that report a breakpoint or a step,
// the four debug-address registers (DR0–DR3, Intel SDM vol. 3B, 17.2 "Debug Registers"), and
// which instructions can leave ring 0. The request itself is the accelerator's
// (GuestDebugRequest, vmm/accel/accelerator.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "vmm/accel/accelerator.hpp"

namespace glassvm::gdb {

inline constexpr uint32_t kDebugException = 1;          // #DB: single-step, debug-register hit
inline constexpr uint32_t kBreakpointException = 3;     // #BP: int3
inline constexpr int kMaxHardwareBreakpoints = 4;       // DR0–DR3
inline constexpr uint64_t kDr6SingleStep = 1ull << 14;  // DR6.BS

// What the GDB stub asks of the accelerator (VirtualCpu::set_guest_debug).
using glassvm::GuestDebugRequest;

// Whether the instruction starting with `bytes` can leave ring 0 for ring 3: iret, far ret,
// sysret, sysexit (after any operand-size or REX prefixes). Where only ring 0 can be single-
// stepped, stepping one of these would hand the guest a #DB in user mode.
bool may_enter_user_mode(std::span<const uint8_t> bytes);

}  // namespace glassvm::gdb
