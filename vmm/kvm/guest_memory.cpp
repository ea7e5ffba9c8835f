// Allocation and checked slicing of guest RAM.
#include "kvm/guest_memory.hpp"

namespace glassvm {

GuestMemory GuestMemory::allocate(uint64_t size) {
    return GuestMemory(Mapping::create("mmap guest RAM", size, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE));
}

std::span<uint8_t> GuestMemory::slice(uint64_t address, uint64_t length) const {
    if (auto range = try_slice(address, length)) return *range;
    throw Error(ErrorKind::Internal,
                fmt::format("guest-physical range {:#x}+{:#x} lies outside the {:#x} bytes of RAM",
                            address, length, size()));
}

}  // namespace glassvm
