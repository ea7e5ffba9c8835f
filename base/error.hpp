// glassvm's one error style: an exception that carries a sentence naming what failed.
// System-call failures read "OPERATION: strerror(errno)" (e.g. "KVM_SET_SREGS: Invalid
// argument"); user mistakes and bad input read as plain sentences. Errors are thrown where
// they are found and caught once, at the program's top level, which maps them to an exit status
// (report_failure). Also the host programs' exit statuses (glassvm, glassvmd) for endings the
// guest did not choose; a guest's own statuses (its init's exit code, a kernel panic…) are part of
// the guest ABI instead (abi/glassvm/abi.hpp). docs/RELIABILITY.md lists them all.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <exception>

namespace glassvm {

// What kind of failure, so the top level can choose the process exit status.
enum class ErrorKind {
    System,    // a system call or ioctl failed
    BadInput,  // a file or option the user gave is unusable (exit status 2)
    Internal,  // anything else glassvm cannot go on from
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, int error_number = 0)
            : std::runtime_error(std::move(message)), m_kind(kind), m_error_number(error_number) {}

    ErrorKind kind() const { return m_kind; }
    // errno for ErrorKind::System, 0 otherwise.
    int error_number() const { return m_error_number; }

    // "OPERATION: strerror(error_number)".
    static Error from_errno(std::string_view operation, int error_number);

private:
    ErrorKind m_kind;
    int m_error_number;
};

// Throws Error::from_errno(operation, errno) when a system call returned -1; otherwise returns
// the call's result. The wrapper every ioctl and system call in the VMM goes through.
template <typename T>
T check_syscall(std::string_view operation, T result) {
    if (result == static_cast<T>(-1)) throw Error::from_errno(operation, errno);
    return result;
}

// For libraries that report failure as a negative errno (libseccomp): throws
// Error::from_errno(operation, -result) when `result` is negative, otherwise returns it.
inline int check_negative_errno(std::string_view operation, int result) {
    if (result < 0) throw Error::from_errno(operation, -result);
    return result;
}

// A BadInput error with a formatted message.
template <typename... Args>
[[noreturn]] void throw_bad_input(fmt::format_string<Args...> format, Args&&... args) {
    throw Error(ErrorKind::BadInput, fmt::format(format, std::forward<Args>(args)...));
}

// The host programs' exit statuses, chosen away from the guest's (abi.hpp) and from the usual shell
// ones (126/127, 128+N).
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
