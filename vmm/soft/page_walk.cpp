// The page walk (page_walk.hpp): SDM vol. 3A §4.3 (32-bit), §4.4 (PAE), §4.5 (4-level).
#include "vmm/soft/page_walk.hpp"

#include <optional>

namespace glassvm::soft {
namespace {

constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr0Wp = 1ull << 16;
constexpr uint64_t kCr4Pse = 1ull << 4;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kCr4Smep = 1ull << 20;
constexpr uint64_t kEferLma = 1ull << 10;
constexpr uint64_t kEferNxe = 1ull << 11;

constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kUser = 1ull << 2;
constexpr uint64_t kLarge = 1ull << 7;
constexpr uint64_t kNoExecute = 1ull << 63;

// Physical addresses have 40 bits on the soft CPU (CPUID 80000008H.EAX[7:0]); entry bits
// 51:40 are reserved (§4.5, tables 4-15 to 4-20).
constexpr uint64_t kAddressMask = 0x0000'00ff'ffff'f000ull;
constexpr uint64_t kReservedHigh = 0x000f'ff00'0000'0000ull;
// PAE paging reserves bits 62:M as well, where 4-level paging ignores 62:52 (§4.4.2, tables 4-9
// to 4-11: "62:M Reserved (must be 0)").
constexpr uint64_t kReservedHighPae = 0x7fff'ff00'0000'0000ull;

// The rights one walk accumulates: every level must allow an access (§4.6).
struct Rights {
    bool writable = true;
    bool user = true;
    bool executable = true;
};

std::optional<uint64_t> read_entry(const GuestMemory& memory, uint64_t address, bool wide) {
    if (wide) {
        if (!memory.contains(address, 8)) return std::nullopt;
        return memory.read_object<uint64_t>(address);
    }
    if (!memory.contains(address, 4)) return std::nullopt;
    return memory.read_object<uint32_t>(address);
}

// Whether execute-disable is in force: EFER.NXE with PAE or 4-level paging; 32-bit paging has no
// XD bit (§4.6).
bool nx_on(const PagingRegisters& registers) { return (registers.efer & kEferNxe) && (registers.cr4 & kCr4Pae); }

// §4.7: the I/D bit is reported for an instruction fetch only when CR4.SMEP = 1 or when both
// CR4.PAE = 1 and EFER.NXE = 1 (with 32-bit paging and only NXE set it stays 0).
bool reports_fetch(Access access, const PagingRegisters& registers) {
    return access == Access::Fetch && (nx_on(registers) || (registers.cr4 & kCr4Smep));
}

// §4.6: whether the accumulated rights allow the access; the fault's error code if not.
std::optional<PageFault> check_rights(const Rights& rights, const PagingRegisters& registers, Access access,
                                      bool user) {
    uint32_t code = kPfPresent | (access == Access::Write ? kPfWrite : 0) | (user ? kPfUser : 0);
    if (reports_fetch(access, registers)) code |= kPfFetch;
    if (user && !rights.user) return PageFault{code};
    if (access == Access::Write && !rights.writable && (user || (registers.cr0 & kCr0Wp))) return PageFault{code};
    if (access == Access::Fetch && nx_on(registers) && !rights.executable) return PageFault{code};
    if (access == Access::Fetch && !user && rights.user && (registers.cr4 & kCr4Smep)) return PageFault{code};
    return std::nullopt;
}

uint32_t not_present(Access access, bool user, const PagingRegisters& registers) {
    uint32_t code = (access == Access::Write ? kPfWrite : 0) | (user ? kPfUser : 0);
    if (reports_fetch(access, registers)) code |= kPfFetch;
    return code;
}

}  // namespace

std::variant<uint64_t, PageFault> translate(const GuestMemory& memory, const PagingRegisters& registers,
                                            uint64_t linear, Access access, bool user) {
    if (!(registers.cr0 & kCr0Pg)) return linear & 0xffff'ffffull;

    bool long_mode = (registers.efer & kEferLma) != 0;
    bool pae = (registers.cr4 & kCr4Pae) != 0;
    bool wide = long_mode || pae;
    // Levels from the top: 4-level (PML4, PDPT, PD, PT), PAE (PDPT, PD, PT), 32-bit (PD, PT).
    int levels = long_mode ? 4 : pae ? 3 : 2;
    int index_bits = wide ? 9 : 10;
    uint64_t table = long_mode ? (registers.cr3 & kAddressMask) : pae ? (registers.cr3 & 0xffff'ffe0ull)
                                                                      : (registers.cr3 & 0xffff'f000ull);
    Rights rights;
    uint32_t reserved_fault = not_present(access, user, registers) | kPfPresent | kPfReserved;

    for (int level = levels; level >= 1; --level) {
        int shift = 12 + index_bits * (level - 1);
        uint64_t index = (linear >> shift) & ((1ull << index_bits) - 1);
        if (pae && !long_mode && level == 3) index = (linear >> 30) & 3;  // four PDPTEs (§4.4.1)
        std::optional<uint64_t> entry = read_entry(memory, table + index * (wide ? 8 : 4), wide);
        if (!entry) return PageFault{reserved_fault};
        if (!(*entry & kPresent)) return PageFault{not_present(access, user, registers)};
        if (wide && (*entry & (long_mode ? kReservedHigh : kReservedHighPae))) return PageFault{reserved_fault};
        if (wide && !(registers.efer & kEferNxe) && (*entry & kNoExecute)) return PageFault{reserved_fault};

        bool pae_pdpte = pae && !long_mode && level == 3;  // carries no rights bits (§4.4.1)
        if (!pae_pdpte) {
            rights.writable = rights.writable && (*entry & kWritable);
            rights.user = rights.user && (*entry & kUser);
        }
        if (wide) rights.executable = rights.executable && !(*entry & kNoExecute);

        bool large_allowed = (long_mode && (level == 3 || level == 2)) || (pae && !long_mode && level == 2) ||
                             (!wide && level == 2 && (registers.cr4 & kCr4Pse));
        if (level == 4 && (*entry & kLarge)) return PageFault{reserved_fault};
        if (level > 1 && (*entry & kLarge) && large_allowed) {
            uint64_t page_mask = (1ull << shift) - 1;
            // A 2 MiB or 1 GiB page's address bits below its size are reserved, all but bit 12
            // (PAT): bits 20:13 and 29:13 (§4.5, tables 4-17 and 4-15; §4.4.2, table 4-9). A
            // reserved bit means no translation, checked before the access rights (§4.7).
            if (wide && (*entry & page_mask & ~0x1fffull)) return PageFault{reserved_fault};
            if (auto fault = check_rights(rights, registers, access, user)) return *fault;
            uint64_t base = wide ? (*entry & kAddressMask & ~page_mask) : (*entry & 0xffc0'0000ull);
            return base | (linear & page_mask);
        }
        table = wide ? (*entry & kAddressMask) : (*entry & 0xffff'f000ull);
    }
    if (auto fault = check_rights(rights, registers, access, user)) return *fault;
    return table | (linear & 0xfff);
}

}  // namespace glassvm::soft
