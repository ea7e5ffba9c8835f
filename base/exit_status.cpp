// report_failure: what a program's top level does with an error (exit_status.hpp).
#include "base/exit_status.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm {

int report_failure(const std::exception& error) {
    fmt::print(stderr, "glassvm: {}\n", error.what());
    const auto* glassvm_error = dynamic_cast<const Error*>(&error);
    return glassvm_error && glassvm_error->kind() == ErrorKind::BadInput ? kExitUsage : kExitVmmError;
}

}  // namespace glassvm
