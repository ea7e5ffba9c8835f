// Builds the "OPERATION: reason" message for failed system calls.
#include "base/error.hpp"

#include <cstring>

namespace glassvm {

Error Error::from_errno(std::string_view operation, int error_number) {
    return Error(ErrorKind::System, fmt::format("{}: {}", operation, std::strerror(error_number)), error_number);
}

}  // namespace glassvm
