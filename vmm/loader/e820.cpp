// The PC memory map; see e820.hpp.
#include "vmm/loader/e820.hpp"

#include <algorithm>

#include <glassvm/abi.hpp>

#include "base/error.hpp"

namespace glassvm {

std::vector<E820Entry> build_e820_map(uint64_t ram_bytes) {
    uint64_t ram_end = std::min(ram_bytes, abi::kMmioHoleStart);
    if (ram_end <= kE820ExtendedStart)
        throw Error(ErrorKind::Internal, fmt::format("build_e820_map: {} bytes of RAM do not reach 1 MiB", ram_end));
    return {
        {.address = 0, .size = kE820ConventionalEnd, .type = E820Type::Ram},
        {.address = kE820ConventionalEnd,
         .size = kE820ExtendedStart - kE820ConventionalEnd,
         .type = E820Type::Reserved},
        {.address = kE820ExtendedStart, .size = ram_end - kE820ExtendedStart, .type = E820Type::Ram},
    };
}

}  // namespace glassvm
