// Reaching into the guest for gdb: reading and writing guest memory by guest-virtual address,
// as the m/M/X packets and software breakpoints need (each page is translated through the
// guest's own page tables, x86/page_tables.hpp, so an address the guest has not mapped is an
// error, never a crash); gdb's breakpoints (Z0/z0 patch an int3, Z1/z1 take a debug register);
// and the debug exceptions that report a breakpoint or a step (Intel SDM vol. 3B, 17.2).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <cstddef>
#include <map>
#include "vmm/accel/accelerator.hpp"
#include "vmm/accel/guest_memory.hpp"

namespace glassvm::gdb {

// Guest-virtual → guest-physical (VcpuContext::translate in the VMM, a fake in tests).
using Translate = std::function<std::optional<uint64_t>(uint64_t virtual_address)>;

class GuestAccess {
public:
    GuestAccess(const GuestMemory& memory, Translate translate) : m_memory(memory), m_translate(std::move(translate)) {}

    // Up to `length` bytes from `address`: everything up to the first byte that is unmapped or
    // not RAM (so an empty result means the first byte is not readable).
    std::vector<uint8_t> read(uint64_t address, size_t length) const;
    // All of `data` at `address`, or nothing (false) when any byte is not writable RAM.
    bool write(uint64_t address, std::span<const uint8_t> data) const;

private:
    // The host view of the part of [address, address + length) that lies in one guest page.
    std::optional<std::span<uint8_t>> page_slice(uint64_t address, size_t length) const;

    const GuestMemory& m_memory;
    Translate m_translate;
};

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

inline constexpr uint32_t kDebugException = 1;          // #DB: single-step, debug-register hit
inline constexpr uint32_t kBreakpointException = 3;     // #BP: int3
inline constexpr int kMaxHardwareBreakpoints = 4;       // DR0–DR3
inline constexpr uint64_t kDr6SingleStep = 1ull << 14;  // DR6.BS

// What the GDB stub asks of the accelerator (VirtualCpu::set_guest_debug).
using glassvm::GuestDebugRequest;

// Whether the instruction starting with `bytes` can leave ring 0 for ring 3: iret, far ret,
// sysret, sysexit (after any operand-size or REX prefixes). Where only ring 0 can be single-
// stepped, stepping one of these would hand the guest a #DB in user mode.
bool may_enter_user_mode(std::span<const uint8_t> bytes);

}  // namespace glassvm::gdb
