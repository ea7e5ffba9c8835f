// Guest-virtual memory access, one 4 KiB page at a time (a buffer may straddle pages that map
// to unrelated physical frames).
#include "vmm/debug/gdb/guest_access.hpp"

#include <algorithm>
#include <cstring>

namespace glassvm::gdb {

namespace {

constexpr uint64_t kPageSize = 0x1000;

}  // namespace

std::optional<std::span<uint8_t>> GuestAccess::page_slice(uint64_t address, size_t length) const {
    uint64_t in_page = std::min<uint64_t>(length, kPageSize - (address % kPageSize));
    auto physical = m_translate(address);
    if (!physical) return std::nullopt;
    return m_memory.try_slice(*physical, in_page);
}

std::vector<uint8_t> GuestAccess::read(uint64_t address, size_t length) const {
    std::vector<uint8_t> bytes;
    bytes.reserve(length);
    while (bytes.size() < length) {
        auto slice = page_slice(address + bytes.size(), length - bytes.size());
        if (!slice) break;
        bytes.insert(bytes.end(), slice->begin(), slice->end());
    }
    return bytes;
}

bool GuestAccess::write(uint64_t address, std::span<const uint8_t> data) const {
    std::vector<std::span<uint8_t>> slices;  // check every page before changing any
    for (size_t done = 0; done < data.size();) {
        auto slice = page_slice(address + done, data.size() - done);
        if (!slice) return false;
        slices.push_back(*slice);
        done += slice->size();
    }
    size_t offset = 0;
    for (auto slice : slices) {
        std::memcpy(slice.data(), data.data() + offset, slice.size());
        offset += slice.size();
    }
    return true;
}

}  // namespace glassvm::gdb
