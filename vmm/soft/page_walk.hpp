// Linear-to-physical translation as the x86 MMU does it (SDM vol. 3A ch. 4 "Paging"), for the
// soft CPU's system layer: delivering an event reads the IDT, GDT and TSS and pushes a frame at
// linear addresses, and a page fault the emulator reports comes without its error code, which
// the walk recomputes from the same tables (§4.7). Paging off, 32-bit, PAE and 4-level paging.
// Accessed and dirty bits are left as they are (the emulator sets them for the guest's own
// accesses; the few the system layer makes do not).
#pragma once

#include <cstdint>
#include <variant>

#include "vmm/accel/guest_memory.hpp"

namespace glassvm::soft {

// The registers that decide how a linear address translates.
struct PagingRegisters {
    uint64_t cr0 = 0;
    uint64_t cr3 = 0;
    uint64_t cr4 = 0;
    uint64_t efer = 0;
};

enum class Access {
    Read,
    Write,
    Fetch
};

// Page-fault error code bits (SDM vol. 3A §4.7, figure 4-12).
inline constexpr uint32_t kPfPresent = 1u << 0;   // 0: the page was not present
inline constexpr uint32_t kPfWrite = 1u << 1;     // the access was a write
inline constexpr uint32_t kPfUser = 1u << 2;      // made at CPL 3
inline constexpr uint32_t kPfReserved = 1u << 3;  // a reserved bit was set in a paging entry
inline constexpr uint32_t kPfFetch = 1u << 4;     // an instruction fetch (with NX or SMEP on)

struct PageFault {
    uint32_t error_code;
};

// Where `linear` lands in guest-physical memory for an access of kind `access`, made with user
// privilege when `user`; or the page fault the CPU would raise. Paging entries outside RAM fault
// as reserved (a real machine would read whatever device sits there).
std::variant<uint64_t, PageFault> translate(const GuestMemory& memory, const PagingRegisters& registers,
                                            uint64_t linear, Access access, bool user);

}  // namespace glassvm::soft
