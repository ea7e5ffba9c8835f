// glassvm's one error style: an exception that carries a sentence naming what failed.
// System-call failures read "OPERATION: strerror(errno)" (e.g. "KVM_SET_SREGS: Invalid
// argument"); user mistakes and bad input read as plain sentences. Errors are thrown where
// they are found and caught once, at the command's top level, which maps them to an exit code.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

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

}  // namespace glassvm
