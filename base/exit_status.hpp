// The host programs' exit statuses (glassvm, glassvmd), for endings the guest did not choose,
// and the one mapping from an error that reached a program's top level to its status. A guest's
// own statuses (its init's exit code, a kernel panic…) are part of the guest ABI instead
// (abi/glassvm/abi.hpp); these are chosen away from them and from the usual shell ones (126/127,
// 128+N). docs/RELIABILITY.md lists them all.
#pragma once

#include <exception>
#include <string_view>

namespace glassvm {

inline constexpr int kExitUsage = 2;               // bad command line or bad input
inline constexpr int kExitStopped = 117;           // the user ended it (stepper quit, gdb kill)
inline constexpr int kExitGuestHalted = 118;       // HLT with no way to wake up
inline constexpr int kExitUnknown = 119;           // an exit reason glassvm does not handle
inline constexpr int kExitVmmError = 120;          // glassvm itself failed (an ioctl, a file)
inline constexpr int kExitEmulationFailure = 121;  // the accelerator could not run an instruction
inline constexpr int kExitTripleFault = 122;       // the guest shut down (a triple fault)
inline constexpr int kExitEntryFailure = 123;      // the accelerator refused to enter the guest
inline constexpr int kExitTimeout = 124;           // --timeout expired (as coreutils timeout)
inline constexpr int kExitSandboxViolation = 125;  // a glassvm thread made a call its seccomp allowlist lacks

// Prints "glassvm: MESSAGE" on stderr and returns the status for `error`: kExitUsage for bad
// input (an Error of kind BadInput), kExitVmmError for everything else.
int report_failure(const std::exception& error);

}  // namespace glassvm
