// Builds the "OPERATION: reason" message for failed system calls; maps an error to its exit status.
#include "base/error.hpp"

#include <fmt/format.h>
#include <cstring>

namespace glassvm {

Error Error::from_errno(std::string_view operation, int error_number) {
    return Error(ErrorKind::System, fmt::format("{}: {}", operation, std::strerror(error_number)), error_number);
}

int report_failure(const std::exception& error) {
    fmt::print(stderr, "glassvm: {}\n", error.what());
    const auto* glassvm_error = dynamic_cast<const Error*>(&error);
    return glassvm_error && glassvm_error->kind() == ErrorKind::BadInput ? kExitUsage : kExitVmmError;
}

}  // namespace glassvm
