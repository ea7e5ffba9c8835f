// Guest-virtual memory access, one 4 KiB page at a time (a buffer may straddle pages that map
// to unrelated physical frames); breakpoints; the debug exceptions.
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

namespace {

constexpr uint8_t kInt3 = 0xcc;

}  // namespace

bool Breakpoints::insert_software(const GuestAccess& memory, uint64_t address) {
    if (m_software.contains(address)) return true;
    std::vector<uint8_t> original = memory.read(address, 1);
    if (original.empty() || !memory.write(address, std::vector<uint8_t>{kInt3})) return false;
    m_software.emplace(address, original.front());
    return true;
}

bool Breakpoints::remove_software(const GuestAccess& memory, uint64_t address) {
    auto found = m_software.find(address);
    if (found == m_software.end()) return false;
    // If the guest has since unmapped the page, there is nothing left to restore.
    memory.write(address, std::vector<uint8_t>{found->second});
    m_software.erase(found);
    return true;
}

bool Breakpoints::insert_hardware(uint64_t address, int available) {
    if (std::ranges::find(m_hardware, address) != m_hardware.end()) return true;
    if (static_cast<int>(m_hardware.size()) >= std::min(available, kMaxHardwareBreakpoints)) return false;
    m_hardware.push_back(address);
    return true;
}

bool Breakpoints::remove_hardware(uint64_t address) { return std::erase(m_hardware, address) > 0; }

void Breakpoints::clear(const GuestAccess& memory) {
    while (!m_software.empty()) remove_software(memory, m_software.begin()->first);
    m_hardware.clear();
}

GuestDebugRequest Breakpoints::guest_debug(bool single_step) const {
    return {.single_step = single_step, .intercept_int3 = !m_software.empty(), .hardware_breakpoints = m_hardware};
}

bool may_enter_user_mode(std::span<const uint8_t> bytes) {
    size_t at = 0;
    while (at < bytes.size() && (bytes[at] == 0x66 || (bytes[at] & 0xf0) == 0x40)) ++at;  // o16, REX
    if (at >= bytes.size()) return false;
    uint8_t opcode = bytes[at];
    if (opcode == 0xcf || opcode == 0xca || opcode == 0xcb) return true;  // iret, lret imm16, lret
    bool two_byte = opcode == 0x0f && at + 1 < bytes.size();
    return two_byte && (bytes[at + 1] == 0x07 || bytes[at + 1] == 0x35);  // sysret, sysexit
}

}  // namespace glassvm::gdb
