// read_guest: one 4 KiB page at a time (the smallest x86 page, so also right inside 2 MiB and
// 1 GiB pages), each translated on its own.
#include "vmm/x86/guest_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace glassvm {

namespace {

constexpr uint64_t kPageSize = 4096;

// The physical address of `address`, or the reason there is none.
std::optional<uint64_t> to_physical(const Translate& translate, GuestAddress address, std::string& why) {
    if (address.physical) return address.value;
    std::optional<uint64_t> physical = translate(address.value);
    if (!physical) why = fmt::format("{:#x} is not mapped in the guest's page tables", address.value);
    return physical;
}

}  // namespace

GuestBytes read_guest(const GuestMemory& memory, const Translate& translate, GuestAddress address, uint64_t length) {
    GuestBytes result;
    length = std::min(length, UINT64_MAX - address.value);  // no wrap past the top of the address space
    while (result.bytes.size() < length) {
        GuestAddress at{address.value + result.bytes.size(), address.physical};
        uint64_t chunk = std::min(length - result.bytes.size(), kPageSize - at.value % kPageSize);
        std::optional<uint64_t> physical = to_physical(translate, at, result.shortfall);
        if (!physical) return result;
        auto bytes = memory.try_slice(*physical, chunk);
        if (!bytes) {
            result.shortfall =
                at.physical ? fmt::format("physical {:#x} is outside guest RAM", *physical)
                            : fmt::format("{:#x} maps to physical {:#x}, outside guest RAM", at.value, *physical);
            return result;
        }
        result.bytes.insert(result.bytes.end(), bytes->begin(), bytes->end());
    }
    return result;
}

}  // namespace glassvm
