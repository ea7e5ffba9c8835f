// Allocation and checked slicing of guest RAM.
#include "kvm/guest_memory.hpp"

#include <sys/mman.h>

namespace glassvm {

GuestMemory GuestMemory::allocate(uint64_t size) {
    Mapping ram = Mapping::create("mmap guest RAM", size, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
    // A child glassvm forks (a peer for `compare`, the background release of the VM) never
    // touches guest RAM: without this, fork would copy the page tables of every touched page.
    check_syscall("madvise guest RAM MADV_DONTFORK", ::madvise(ram.data(), ram.size(), MADV_DONTFORK));
    return GuestMemory(std::move(ram));
}

std::span<uint8_t> GuestMemory::slice(uint64_t address, uint64_t length) const {
    if (auto range = try_slice(address, length)) return *range;
    throw Error(ErrorKind::Internal,
                fmt::format("guest-physical range {:#x}+{:#x} lies outside the {:#x} bytes of RAM",
                            address, length, size()));
}

}  // namespace glassvm
