// Allocation and checked slicing of guest RAM.
#include "vmm/accel/guest_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace glassvm {

GuestMemory GuestMemory::allocate(uint64_t size) {
    Mapping ram =
        Mapping::create("mmap guest RAM", size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
    // A child glassvm forks (a peer for `compare`, the background release of the VM) never
    // touches guest RAM: without this, fork would copy the page tables of every touched page.
    check_syscall("madvise guest RAM MADV_DONTFORK", ::madvise(ram.data(), ram.size(), MADV_DONTFORK));
    return GuestMemory(std::move(ram));
}

void GuestMemory::zero(uint64_t address, uint64_t length) const {
    std::span<uint8_t> range = slice(address, length);
    const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
    uint64_t first_whole = (address + page - 1) / page * page;  // host_base() is page-aligned
    uint64_t end_whole = (address + length) / page * page;
    if (first_whole >= end_whole) {  // no whole page inside
        std::fill(range.begin(), range.end(), uint8_t{0});
        return;
    }
    std::fill_n(range.begin(), first_whole - address, uint8_t{0});
    check_syscall("madvise guest RAM MADV_DONTNEED",
                  ::madvise(host_base() + first_whole, end_whole - first_whole, MADV_DONTNEED));
    std::fill(range.begin() + ptrdiff_t(end_whole - address), range.end(), uint8_t{0});
}

std::span<uint8_t> GuestMemory::slice(uint64_t address, uint64_t length) const {
    if (auto range = try_slice(address, length)) return *range;
    throw Error(ErrorKind::Internal, fmt::format("guest-physical range {:#x}+{:#x} lies outside the {:#x} bytes of RAM",
                                                 address, length, size()));
}

}  // namespace glassvm
