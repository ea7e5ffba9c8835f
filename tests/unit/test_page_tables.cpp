// Unit tests for the boot identity page tables and the software page walk (translate) that
// reads them, plus hand-built 4 KiB, 2 MiB and 1 GiB mappings (Intel SDM vol. 3A, 4.5).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <optional>

#include <glassvm/abi.hpp>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/x86/layout.hpp"
#include "vmm/x86/page_tables.hpp"

using glassvm::GuestMemory;
using glassvm::x86::translate;

namespace layout = glassvm::layout;
namespace abi = glassvm::abi;

namespace {

constexpr uint64_t kPresent = 1ull << 0, kWritable = 1ull << 1, kUser = 1ull << 2, kLargePage = 1ull << 7;
constexpr uint64_t kAddressBits = 0x000F'FFFF'FFFF'F000ull;
constexpr uint64_t kGiB = 1ull << 30, kMiB = 1ull << 20;

uint64_t entry(const GuestMemory& memory, uint64_t table, uint64_t index) {
    return memory.read_object<uint64_t>(table + index * 8);
}

// 16 MiB of RAM full of garbage, then the boot tables built over it.
struct BootTables {
    GuestMemory memory = GuestMemory::allocate(16 * kMiB);
    uint64_t cr3 = 0;
    BootTables() {
        std::memset(memory.host_base(), 0x5a, memory.size());
        cr3 = glassvm::x86::build_identity_page_tables(memory);
    }
};

}  // namespace

TEST_CASE("page tables: CR3 points at the PML4, whose only entry is the PDPT", "[page_tables]") {
    BootTables tables;
    CHECK(tables.cr3 == layout::kPml4);
    CHECK(entry(tables.memory, layout::kPml4, 0) == (layout::kPdpt | kPresent | kWritable | kUser));
    // The rest of the PML4 was garbage and must now be not-present zeros.
    for (uint64_t index = 1; index < 512; ++index) {
        INFO("PML4 entry " << index);
        CHECK(entry(tables.memory, layout::kPml4, index) == 0);
    }
}

TEST_CASE("page tables: four PDPT entries point at four page directories", "[page_tables]") {
    BootTables tables;
    for (uint64_t index = 0; index < 4; ++index) {
        INFO("PDPT entry " << index);
        CHECK(entry(tables.memory, layout::kPdpt, index) ==
              ((layout::kPageDirectories + index * layout::kPageSize) | kPresent | kWritable | kUser));
    }
    for (uint64_t index = 4; index < 512; ++index) {
        INFO("PDPT entry " << index);
        CHECK(entry(tables.memory, layout::kPdpt, index) == 0);
    }
    // The tables fit below the end of the boot area.
    CHECK(layout::kPageDirectories + 4 * layout::kPageSize <= layout::kBootTablesEnd);
}

TEST_CASE("page tables: page directories identity-map 4 GiB with 2 MiB pages", "[page_tables]") {
    BootTables tables;
    // Spot checks, spelled out.
    uint64_t first_directory = layout::kPageDirectories;
    uint64_t last_directory = layout::kPageDirectories + 3 * layout::kPageSize;
    CHECK(entry(tables.memory, first_directory, 0) == 0x0000'0083);  // P|RW|PS, supervisor
    CHECK(entry(tables.memory, first_directory, 1) == 0x0020'0087);  // P|RW|US|PS
    CHECK(entry(tables.memory, last_directory, 511) == 0xFFE0'0087);

    for (uint64_t directory = 0; directory < 4; ++directory) {
        for (uint64_t index = 0; index < 512; ++index) {
            uint64_t value = entry(tables.memory, layout::kPageDirectories + directory * layout::kPageSize, index);
            uint64_t physical = directory * kGiB + index * layout::kLargePageSize;
            INFO("directory " << directory << " entry " << index);
            REQUIRE((value & kAddressBits) == physical);
            REQUIRE((value & (kPresent | kWritable | kLargePage)) == (kPresent | kWritable | kLargePage));
            // Only the first 2 MiB (the kernel region) is supervisor-only.
            REQUIRE(((value & kUser) != 0) == (physical >= abi::kKernelRegionEnd));
            REQUIRE((value & ~(kAddressBits | kPresent | kWritable | kUser | kLargePage)) == 0);
        }
    }
}

TEST_CASE("page tables: the MMIO hole is mapped, present and user-accessible", "[page_tables]") {
    BootTables tables;
    uint64_t hole_directory = layout::kPageDirectories + (abi::kMmioHoleStart / kGiB) * layout::kPageSize;
    CHECK(entry(tables.memory, hole_directory, 0) == (abi::kMmioHoleStart | 0x87));
    for (uint64_t address : {abi::kMmioHoleStart, uint64_t{0xFEE0'0000}, abi::kMmioHoleEnd - 1})
        CHECK(translate(tables.memory, tables.cr3, true, address) == address);
}

TEST_CASE("page walk: the boot tables translate as an identity map", "[page_walk]") {
    BootTables tables;
    for (uint64_t address : {uint64_t{0}, uint64_t{0x1234}, abi::kKernelRegionEnd - 1, uint64_t{0x20'0000 + 5},
                             uint64_t{0x3FF'FFFF}, uint64_t{0xC000'0000 + 7}, uint64_t{0xFFFF'FFFF}}) {
        INFO("address " << std::hex << address);
        CHECK(translate(tables.memory, tables.cr3, true, address) == address);
    }
}

TEST_CASE("page walk: addresses at and above 4 GiB are not mapped", "[page_walk]") {
    BootTables tables;
    for (uint64_t address : {uint64_t{0x1'0000'0000}, uint64_t{0x1'2345'6789}, uint64_t{0x80'0000'0000},
                             uint64_t{0x7FFF'FFFF'FFFF}, uint64_t{0xFFFF'8000'0000'0000}}) {
        INFO("address " << std::hex << address);
        CHECK(translate(tables.memory, tables.cr3, true, address) == std::nullopt);
    }
}

TEST_CASE("page walk: with paging disabled the address is returned unchanged", "[page_walk]") {
    GuestMemory memory = GuestMemory::allocate(1 * kMiB);  // all zeros: no tables at all
    for (uint64_t address : {uint64_t{0}, uint64_t{0x1234}, uint64_t{0x1'2345'6789}})
        CHECK(translate(memory, layout::kPml4, false, address) == address);
}

namespace {

// Hand-built tables in 1 MiB of RAM, at addresses of our choosing:
//   PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000.
constexpr uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kPt = 0x4000;
constexpr uint64_t kPml4Index = 0xFE, kPdptIndex = 0x48, kPdIndex = 0x1A2, kPtIndex = 0x167;
constexpr uint64_t kNoExecute = 1ull << 63, kAccessed = 1ull << 5, kDirty = 1ull << 6;
constexpr uint64_t kPatLarge = 1ull << 12;  // PAT bit of a 2 MiB / 1 GiB entry, inside its address field

constexpr uint64_t virtual_address(uint64_t pml4, uint64_t pdpt, uint64_t pd, uint64_t pt, uint64_t offset) {
    return pml4 << 39 | pdpt << 30 | pd << 21 | pt << 12 | offset;
}

struct HandBuiltTables {
    GuestMemory memory = GuestMemory::allocate(1 * kMiB);
    HandBuiltTables() {
        auto set = [&](uint64_t table, uint64_t index, uint64_t value) {
            memory.write_object<uint64_t>(table + index * 8, value);
        };
        set(kPml4, kPml4Index, kPdpt | kPresent | kWritable | kAccessed);
        set(kPdpt, kPdptIndex, kPd | kPresent | kWritable | kUser);
        set(kPd, kPdIndex, kPt | kPresent | kWritable);
        // 4 KiB page at 0x8000; NX, dirty and PAT (bit 7 in a PT entry, not PS) must not matter.
        set(kPt, kPtIndex, 0x8000 | kPresent | kNoExecute | kDirty | kLargePage);
        // 2 MiB page at 0x600000, with its PAT bit set.
        set(kPd, kPdIndex + 1, 0x60'0000 | kPresent | kLargePage | kPatLarge);
        // 1 GiB page at 3 GiB, with its PAT bit set.
        set(kPdpt, kPdptIndex + 1, 0xC000'0000 | kPresent | kLargePage | kPatLarge | kNoExecute);
        // A page directory entry pointing at a page table outside RAM.
        set(kPd, kPdIndex + 2, 0x7000'0000 | kPresent | kWritable);
    }
};

}  // namespace

TEST_CASE("page walk: a hand-built 4 KiB mapping", "[page_walk]") {
    HandBuiltTables tables;
    uint64_t address = virtual_address(kPml4Index, kPdptIndex, kPdIndex, kPtIndex, 0xABC);
    CHECK(translate(tables.memory, kPml4, true, address) == 0x8ABC);
    CHECK(translate(tables.memory, kPml4, true, address - 0xABC) == 0x8000);
    CHECK(translate(tables.memory, kPml4, true, address + 0x543) == 0x8FFF);
    // PCD/PWT in CR3 are flags, not address bits.
    CHECK(translate(tables.memory, kPml4 | 0x18, true, address) == 0x8ABC);
}

TEST_CASE("page walk: a hand-built 2 MiB mapping", "[page_walk]") {
    HandBuiltTables tables;
    uint64_t address = virtual_address(kPml4Index, kPdptIndex, kPdIndex + 1, 0, 0) + 0x1'2345;
    CHECK(translate(tables.memory, kPml4, true, address) == 0x61'2345);
    CHECK(translate(tables.memory, kPml4, true, address + 0x1E'DCBA) == 0x7F'FFFF);
}

TEST_CASE("page walk: a hand-built 1 GiB mapping", "[page_walk]") {
    HandBuiltTables tables;
    uint64_t address = virtual_address(kPml4Index, kPdptIndex + 1, 0, 0, 0) + 0x234'5678;
    CHECK(translate(tables.memory, kPml4, true, address) == 0xC234'5678);
    CHECK(translate(tables.memory, kPml4, true, address + 0x3DCB'A987) == 0xFFFF'FFFF);
}

TEST_CASE("page walk: a not-present entry at any level gives nullopt", "[page_walk]") {
    HandBuiltTables tables;
    auto walk = [&](uint64_t address) { return translate(tables.memory, kPml4, true, address); };
    CHECK(walk(virtual_address(kPml4Index + 1, kPdptIndex, kPdIndex, kPtIndex, 0)) == std::nullopt);  // PML4
    CHECK(walk(virtual_address(kPml4Index, kPdptIndex + 2, kPdIndex, kPtIndex, 0)) == std::nullopt);  // PDPT
    CHECK(walk(virtual_address(kPml4Index, kPdptIndex, kPdIndex + 3, kPtIndex, 0)) == std::nullopt);  // PD
    CHECK(walk(virtual_address(kPml4Index, kPdptIndex, kPdIndex, kPtIndex + 1, 0)) == std::nullopt);  // PT

    // An entry with only the address and no P bit is not present either.
    tables.memory.write_object<uint64_t>(kPt + kPtIndex * 8, 0x8000 | kWritable);
    CHECK(walk(virtual_address(kPml4Index, kPdptIndex, kPdIndex, kPtIndex, 0)) == std::nullopt);
}

TEST_CASE("page walk: a table outside RAM gives nullopt", "[page_walk]") {
    HandBuiltTables tables;
    // The PD entry points at a page table at 1.75 GiB, far beyond 1 MiB of RAM.
    CHECK(translate(tables.memory, kPml4, true, virtual_address(kPml4Index, kPdptIndex, kPdIndex + 2, 0, 0)) ==
          std::nullopt);
    // CR3 itself beyond RAM.
    CHECK(translate(tables.memory, 0x4000'0000, true, 0) == std::nullopt);
    // CR3 just past the end of RAM.
    CHECK(translate(tables.memory, tables.memory.size(), true, 0) == std::nullopt);
}
