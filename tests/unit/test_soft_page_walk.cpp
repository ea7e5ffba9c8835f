// Unit tests for the soft CPU's page walk (vmm/soft/page_walk.hpp): translations through paging
// structures written by hand into guest RAM for each paging mode and page size, and the exact
// page-fault error codes of SDM vol. 3A §4.7 (P, W/R, U/S, RSVD, I/D) for each way an access can
// be refused (§4.6).
#include <catch2/catch.hpp>

#include <cstdint>
#include <variant>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/soft/page_walk.hpp"

using glassvm::GuestMemory;
using glassvm::soft::Access;
using glassvm::soft::PageFault;
using glassvm::soft::PagingRegisters;
using glassvm::soft::translate;

namespace {

// Control-register and EFER bits (SDM vol. 3A §2.5, §2.2.1).
constexpr uint64_t kCr0Pe = 1ull << 0;
constexpr uint64_t kCr0Wp = 1ull << 16;
constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pse = 1ull << 4;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kCr4Smep = 1ull << 20;
constexpr uint64_t kEferLme = 1ull << 8;
constexpr uint64_t kEferLma = 1ull << 10;
constexpr uint64_t kEferNxe = 1ull << 11;

// Paging-structure entry bits (§4.5, tables 4-14 to 4-20).
constexpr uint64_t kP = 1ull << 0;
constexpr uint64_t kW = 1ull << 1;
constexpr uint64_t kU = 1ull << 2;
constexpr uint64_t kPs = 1ull << 7;
constexpr uint64_t kPat = 1ull << 12;  // PAT in a large-page entry, not an address bit
constexpr uint64_t kXd = 1ull << 63;

// Where the hand-written tables live in guest-physical memory.
constexpr uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kPt = 0x4000;

// A linear address from its 4-level indices (§4.5, figure 4-8).
constexpr uint64_t linear4(uint64_t pml4, uint64_t pdpt, uint64_t pd, uint64_t pt, uint64_t offset) {
    return (pml4 << 39) | (pdpt << 30) | (pd << 21) | (pt << 12) | offset;
}

void put64(const GuestMemory& memory, uint64_t table, uint64_t index, uint64_t entry) {
    memory.write_object<uint64_t>(table + index * 8, entry);
}
void put32(const GuestMemory& memory, uint64_t table, uint64_t index, uint32_t entry) {
    memory.write_object<uint32_t>(table + index * 4, entry);
}

PagingRegisters long_mode(uint64_t extra_cr0 = kCr0Wp, uint64_t extra_cr4 = 0, uint64_t extra_efer = kEferNxe) {
    return {.cr0 = kCr0Pe | kCr0Pg | extra_cr0,
            .cr3 = kPml4,
            .cr4 = kCr4Pae | extra_cr4,
            .efer = kEferLme | kEferLma | extra_efer};
}

// 4-level tables mapping linear4(1, 2, 3, 4, *) to the 4 KiB page at 0x123000, the upper
// levels all writable and user; `leaf` is the PTE's flags.
struct FourLevel {
    GuestMemory memory = GuestMemory::allocate(1 << 20);
    uint64_t linear = linear4(1, 2, 3, 4, 0xabc);

    explicit FourLevel(uint64_t leaf = kP | kW | kU, uint64_t pde = kP | kW | kU) {
        put64(memory, kPml4, 1, kPdpt | kP | kW | kU);
        put64(memory, kPdpt, 2, kPd | kP | kW | kU);
        put64(memory, kPd, 3, kPt | pde);
        put64(memory, kPt, 4, 0x123000 | leaf);
    }
};

uint64_t address_of(const std::variant<uint64_t, PageFault>& result) {
    REQUIRE(std::holds_alternative<uint64_t>(result));
    return std::get<uint64_t>(result);
}

uint32_t fault_of(const std::variant<uint64_t, PageFault>& result) {
    REQUIRE(std::holds_alternative<PageFault>(result));
    return std::get<PageFault>(result).error_code;
}

}  // namespace

TEST_CASE("soft page walk: paging off, a linear address is the physical address (32 bits of it)") {
    auto memory = GuestMemory::allocate(1 << 20);
    PagingRegisters registers{.cr0 = kCr0Pe};
    CHECK(address_of(translate(memory, registers, 0x0009'fff0, Access::Write, true)) == 0x0009'fff0);
    CHECK(address_of(translate(memory, registers, 0x1'2345'6789, Access::Read, false)) == 0x2345'6789);
}

TEST_CASE("soft page walk: 4-level paging translates 4 KiB, 2 MiB and 1 GiB pages") {
    FourLevel tables;
    auto registers = long_mode();
    CHECK(address_of(translate(tables.memory, registers, tables.linear, Access::Read, true)) == 0x123abc);
    CHECK(address_of(translate(tables.memory, registers, linear4(1, 2, 3, 4, 0xfff), Access::Write, false)) ==
          0x123fff);

    // A 2 MiB page: PD entry with PS; bit 12 is PAT there, not part of the address (table 4-17).
    put64(tables.memory, kPd, 5, 0x0060'0000 | kPat | kPs | kP | kW);
    CHECK(address_of(translate(tables.memory, registers, linear4(1, 2, 5, 0x1a, 0x345), Access::Write, false)) ==
          0x0060'0000 + (0x1aull << 12) + 0x345);

    // A 1 GiB page: PDPT entry with PS (table 4-15), offset bits 29:0 from the linear address.
    put64(tables.memory, kPdpt, 3, 0x4000'0000 | kPs | kP);
    CHECK(address_of(translate(tables.memory, registers, linear4(1, 3, 0x91, 0x22, 0x678), Access::Read, false)) ==
          0x4000'0000 + (0x91ull << 21) + (0x22ull << 12) + 0x678);

    // High address bits and the upper half: PML4 index 511 of a kernel address.
    put64(tables.memory, kPml4, 511, kPdpt | kP | kW);
    put64(tables.memory, kPdpt, 510, 0x8000'0000 | kPs | kP | kW);
    CHECK(address_of(translate(tables.memory, registers, 0xffff'ffff'8123'4567, Access::Read, false)) == 0x8123'4567);
}

TEST_CASE("soft page walk: not-present entries at each level give error codes without P") {
    FourLevel tables;
    auto registers = long_mode();
    // User read of a page whose PT entry is absent: U/S only (0x4).
    CHECK(fault_of(translate(tables.memory, registers, linear4(1, 2, 3, 5, 0), Access::Read, true)) == 0x4);
    // Supervisor write of an absent PD entry: W/R only (0x2).
    CHECK(fault_of(translate(tables.memory, registers, linear4(1, 2, 6, 0, 0), Access::Write, false)) == 0x2);
    // Absent PML4 entry, supervisor read: 0.
    CHECK(fault_of(translate(tables.memory, registers, linear4(7, 0, 0, 0, 0), Access::Read, false)) == 0x0);
    // A fetch with NXE on sets I/D even when the page is absent: user fetch = 0x14.
    CHECK(fault_of(translate(tables.memory, registers, linear4(1, 2, 3, 5, 0), Access::Fetch, true)) == 0x14);
    // With neither NXE nor SMEP the I/D bit stays 0 (§4.7).
    auto no_nx = long_mode(kCr0Wp, 0, 0);
    CHECK(fault_of(translate(tables.memory, no_nx, linear4(1, 2, 3, 5, 0), Access::Fetch, true)) == 0x4);
}

TEST_CASE("soft page walk: writes to read-only pages, by user always and by supervisor only with CR0.WP") {
    FourLevel tables(kP | kU);  // PTE read-only
    // User write to a read-only page: P | W/R | U/S = 0x7.
    CHECK(fault_of(translate(tables.memory, long_mode(kCr0Wp), tables.linear, Access::Write, true)) == 0x7);
    CHECK(fault_of(translate(tables.memory, long_mode(0), tables.linear, Access::Write, true)) == 0x7);
    // Supervisor write with CR0.WP = 1: P | W/R = 0x3.
    CHECK(fault_of(translate(tables.memory, long_mode(kCr0Wp), tables.linear, Access::Write, false)) == 0x3);
    // With CR0.WP = 0 the supervisor may write anywhere (§4.6.1).
    CHECK(address_of(translate(tables.memory, long_mode(0), tables.linear, Access::Write, false)) == 0x123abc);
    // Reads stay allowed.
    CHECK(address_of(translate(tables.memory, long_mode(kCr0Wp), tables.linear, Access::Read, true)) == 0x123abc);

    // The rights accumulate: a read-only PD entry over a writable PTE refuses the write too.
    FourLevel upper(kP | kW | kU, kP | kU);
    CHECK(fault_of(translate(upper.memory, long_mode(), upper.linear, Access::Write, true)) == 0x7);
}

TEST_CASE("soft page walk: user access to a supervisor page faults with P and U/S") {
    FourLevel leaf(kP | kW);  // PTE supervisor-only
    CHECK(fault_of(translate(leaf.memory, long_mode(), leaf.linear, Access::Read, true)) == 0x5);
    CHECK(fault_of(translate(leaf.memory, long_mode(), leaf.linear, Access::Write, true)) == 0x7);
    CHECK(address_of(translate(leaf.memory, long_mode(), leaf.linear, Access::Read, false)) == 0x123abc);

    // A supervisor-only entry higher up covers the whole range below it.
    FourLevel upper(kP | kW | kU, kP | kW);
    CHECK(fault_of(translate(upper.memory, long_mode(), upper.linear, Access::Read, true)) == 0x5);
}

TEST_CASE("soft page walk: execute-disable with EFER.NXE, and SMEP") {
    FourLevel tables(kP | kW | kU | kXd);
    // User fetch from an XD page with NXE: P | U/S | I/D = 0x15; supervisor: 0x11.
    CHECK(fault_of(translate(tables.memory, long_mode(), tables.linear, Access::Fetch, true)) == 0x15);
    CHECK(fault_of(translate(tables.memory, long_mode(), tables.linear, Access::Fetch, false)) == 0x11);
    // Data accesses to it are fine.
    CHECK(address_of(translate(tables.memory, long_mode(), tables.linear, Access::Read, true)) == 0x123abc);
    // XD in an upper level too.
    FourLevel upper(kP | kW | kU, kP | kW | kU | kXd);
    CHECK(fault_of(translate(upper.memory, long_mode(), upper.linear, Access::Fetch, true)) == 0x15);

    // SMEP: a supervisor fetch from a user page faults (P | I/D = 0x11) even without NXE.
    FourLevel user_page;
    auto smep = long_mode(kCr0Wp, kCr4Smep, 0);
    CHECK(fault_of(translate(user_page.memory, smep, user_page.linear, Access::Fetch, false)) == 0x11);
    CHECK(address_of(translate(user_page.memory, smep, user_page.linear, Access::Fetch, true)) == 0x123abc);
    CHECK(address_of(translate(user_page.memory, smep, user_page.linear, Access::Read, false)) == 0x123abc);
    // Without SMEP the same fetch succeeds.
    CHECK(address_of(translate(user_page.memory, long_mode(), user_page.linear, Access::Fetch, false)) == 0x123abc);
    // A supervisor page under SMEP is fetchable by the supervisor.
    FourLevel supervisor_page(kP | kW);
    CHECK(address_of(translate(supervisor_page.memory, smep, supervisor_page.linear, Access::Fetch, false)) ==
          0x123abc);
}

TEST_CASE("soft page walk: reserved bits set give P | RSVD with the access's bits") {
    auto registers = long_mode();
    SECTION("bit 51 of a PTE (above MAXPHYADDR 40)") {
        FourLevel tables(kP | kW | kU | (1ull << 51));
        CHECK(fault_of(translate(tables.memory, registers, tables.linear, Access::Read, false)) == 0x9);
        CHECK(fault_of(translate(tables.memory, registers, tables.linear, Access::Write, true)) == 0xf);
        CHECK(fault_of(translate(tables.memory, registers, tables.linear, Access::Fetch, true)) == 0x1d);
    }
    SECTION("bit 40 of a PML4 entry") {
        FourLevel tables;
        put64(tables.memory, kPml4, 1, kPdpt | kP | kW | kU | (1ull << 40));
        CHECK(fault_of(translate(tables.memory, registers, tables.linear, Access::Read, true)) == 0xd);
    }
    SECTION("XD with EFER.NXE = 0 is reserved") {
        FourLevel tables(kP | kW | kU | kXd);
        CHECK(fault_of(translate(tables.memory, long_mode(kCr0Wp, 0, 0), tables.linear, Access::Read, false)) == 0x9);
    }
    SECTION("PS in a PML4 entry") {
        FourLevel tables;
        put64(tables.memory, kPml4, 1, kPdpt | kP | kW | kU | kPs);
        CHECK(fault_of(translate(tables.memory, registers, tables.linear, Access::Read, false)) == 0x9);
    }
    SECTION("a 2 MiB page's bits 20:13") {
        FourLevel tables;
        put64(tables.memory, kPd, 5, 0x0060'0000 | (1ull << 13) | kPs | kP | kW);
        CHECK(fault_of(translate(tables.memory, registers, linear4(1, 2, 5, 0, 0), Access::Read, false)) == 0x9);
        // The reserved bit wins over the user's missing rights: no translation at all (§4.7).
        CHECK(fault_of(translate(tables.memory, registers, linear4(1, 2, 5, 0, 0), Access::Read, true)) == 0xd);
        put64(tables.memory, kPd, 5, 0x0060'0000 | (1ull << 20) | kPs | kP | kW);
        CHECK(fault_of(translate(tables.memory, registers, linear4(1, 2, 5, 0, 0), Access::Write, false)) == 0xb);
    }
    SECTION("a 1 GiB page's bits 29:13") {
        FourLevel tables;
        put64(tables.memory, kPdpt, 3, 0x4000'0000 | (1ull << 29) | kPs | kP);
        CHECK(fault_of(translate(tables.memory, registers, linear4(1, 3, 0, 0, 0), Access::Read, false)) == 0x9);
    }
    SECTION("a not-present entry's other bits are not checked") {
        FourLevel tables(kW | kU | (1ull << 51));
        CHECK(fault_of(translate(tables.memory, registers, tables.linear, Access::Read, true)) == 0x4);
    }
    SECTION("a table beyond RAM faults as reserved") {
        FourLevel tables;
        put64(tables.memory, kPd, 3, 0x8000'0000 | kP | kW | kU);
        CHECK(fault_of(translate(tables.memory, registers, tables.linear, Access::Read, true)) == 0xd);
    }
}

TEST_CASE("soft page walk: PAE paging, four PDPTEs from a 32-byte aligned CR3") {
    auto memory = GuestMemory::allocate(1 << 20);
    constexpr uint64_t pdpt = 0x1020;  // 32-byte aligned, not page aligned (§4.4.1)
    // PDPTEs carry no R/W or U/S bits: bits 2:1 of a PDPTE are reserved, rights come from below.
    put64(memory, pdpt, 2, kPd | kP);
    put64(memory, kPd, 3, kPt | kP | kW | kU);
    put64(memory, kPt, 4, 0x89000 | kP | kW | kU);
    put64(memory, kPd, 7, 0x0020'0000 | kPs | kP | kW | kU | kXd);
    PagingRegisters registers{.cr0 = kCr0Pe | kCr0Pg | kCr0Wp, .cr3 = pdpt, .cr4 = kCr4Pae, .efer = kEferNxe};

    uint64_t linear = (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x567;
    CHECK(address_of(translate(memory, registers, linear, Access::Write, true)) == 0x89567);
    uint64_t large = (2ull << 30) | (7ull << 21) | 0x1'2345;
    CHECK(address_of(translate(memory, registers, large, Access::Read, true)) == 0x0021'2345);
    CHECK(fault_of(translate(memory, registers, large, Access::Fetch, true)) == 0x15);
    // PDPTE 3 is absent.
    CHECK(fault_of(translate(memory, registers, 3ull << 30, Access::Write, false)) == 0x2);

    // PAE reserves bits 62:52, which 4-level paging ignores (§4.4.2 against §4.5).
    put64(memory, kPt, 4, 0x89000 | kP | kW | kU | (1ull << 60));
    CHECK(fault_of(translate(memory, registers, linear, Access::Read, true)) == 0xd);
    FourLevel tables(kP | kW | kU | (1ull << 60));
    CHECK(address_of(translate(tables.memory, long_mode(), tables.linear, Access::Read, true)) == 0x123abc);
}

TEST_CASE("soft page walk: 32-bit paging, 4 KiB pages and 4 MiB pages with CR4.PSE") {
    auto memory = GuestMemory::allocate(1 << 20);
    put32(memory, kPml4, 0x12, kPt | kP | kW | kU);
    put32(memory, kPt, 0x34, 0x56000 | kP | kW | kU);
    put32(memory, kPml4, 0x100, 0x0080'0000 | kPs | kP | kW);
    PagingRegisters registers{.cr0 = kCr0Pe | kCr0Pg | kCr0Wp, .cr3 = kPml4, .cr4 = kCr4Pse, .efer = 0};

    uint64_t linear = (0x12ull << 22) | (0x34ull << 12) | 0x789;
    CHECK(address_of(translate(memory, registers, linear, Access::Write, true)) == 0x56789);
    CHECK(address_of(translate(memory, registers, 0x4012'3456, Access::Read, false)) == 0x0092'3456);
    CHECK(fault_of(translate(memory, registers, 0x4012'3456, Access::Read, true)) == 0x5);
    CHECK(fault_of(translate(memory, registers, 0x4012'3456, Access::Write, true)) == 0x7);
    CHECK(fault_of(translate(memory, registers, (0x12ull << 22) | (0x35ull << 12), Access::Write, true)) == 0x6);

    // Without CR4.PSE the PS bit is ignored: the entry points to a page table (§4.3). The "table"
    // at 0x800000 is beyond 1 MiB of RAM, so the walk stops there.
    registers.cr4 = 0;
    CHECK(fault_of(translate(memory, registers, 0x4012'3456, Access::Read, false)) == 0x9);

    // 32-bit paging has no XD bit, and EFER.NXE alone does not report I/D (§4.7): a user fetch of
    // an absent page is 0x4, of a present page fine.
    registers.efer = kEferNxe;
    CHECK(fault_of(translate(memory, registers, (0x12ull << 22) | (0x35ull << 12), Access::Fetch, true)) == 0x4);
    CHECK(address_of(translate(memory, registers, linear, Access::Fetch, true)) == 0x56789);
    // SMEP does report I/D.
    registers.cr4 = kCr4Smep;
    CHECK(fault_of(translate(memory, registers, linear, Access::Fetch, false)) == 0x11);
}
