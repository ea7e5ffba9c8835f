// The breakpoint table: int3 patching and debug-register slots.
#include "vmm/debug/gdb/breakpoints.hpp"

#include <algorithm>

namespace glassvm::gdb {

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

}  // namespace glassvm::gdb
