// gdb's breakpoints in the guest (gdb manual, "Remote Protocol" → "Packets" → Z0/z0, Z1/z1):
// software breakpoints patch an int3 (0xcc) over the instruction's first byte and keep the
// original to put back; hardware breakpoints occupy one of the four debug registers. Both
// only do something while KVM intercepts them (guest_debug.hpp), which the probe checks first.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "vmm/debug/gdb/guest_access.hpp"
#include "vmm/debug/gdb/guest_debug.hpp"

namespace glassvm::gdb {

class Breakpoints {
public:
    // False when `address` is not mapped guest RAM. Inserting twice is harmless.
    bool insert_software(const GuestAccess& memory, uint64_t address);
    // Puts the original byte back; false when there is no breakpoint at `address`.
    bool remove_software(const GuestAccess& memory, uint64_t address);
    // False when all `available` debug registers are taken.
    bool insert_hardware(uint64_t address, int available);
    bool remove_hardware(uint64_t address);
    // Restores every patched byte and forgets all breakpoints (detach, kill, disconnect).
    void clear(const GuestAccess& memory);

    bool has_software(uint64_t address) const { return m_software.contains(address); }
    bool empty() const { return m_software.empty() && m_hardware.empty(); }
    size_t software_count() const { return m_software.size(); }
    size_t hardware_count() const { return m_hardware.size(); }

    // What KVM must intercept for these breakpoints, stepping or not.
    GuestDebugRequest guest_debug(bool single_step) const;

private:
    std::map<uint64_t, uint8_t> m_software;  // address → the byte the int3 replaced
    std::vector<uint64_t> m_hardware;
};

}  // namespace glassvm::gdb
