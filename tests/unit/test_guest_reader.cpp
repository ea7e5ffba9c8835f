// Unit tests for reading guest memory as the debuggers do: virtual addresses page by page
// through a translation, physical ones directly, stopping with a reason at unmapped pages and
// at the end of RAM.
#include <catch2/catch.hpp>

#include <cstring>
#include <numeric>

#include "vmm/x86/page_tables.hpp"

using namespace glassvm;

namespace {

constexpr uint64_t kRam = 16 * 4096;

// Virtual page 0x7000 → physical 0x5000, 0x8000 → physical 0x2000; nothing else is mapped.
std::optional<uint64_t> two_pages(uint64_t address) {
    if (address >= 0x7000 && address < 0x8000) return address - 0x7000 + 0x5000;
    if (address >= 0x8000 && address < 0x9000) return address - 0x8000 + 0x2000;
    return std::nullopt;
}

GuestMemory numbered_ram() {
    GuestMemory memory = GuestMemory::allocate(kRam);
    for (uint64_t i = 0; i < kRam; ++i) memory.host_base()[i] = static_cast<uint8_t>(i / 4096 * 16 + i % 16);
    return memory;
}

}  // namespace

TEST_CASE("guest reader: a virtual read crosses into a page elsewhere in RAM", "[guest_reader]") {
    GuestMemory memory = numbered_ram();
    GuestBytes read = read_guest(memory, two_pages, {0x7ffe, false}, 4);
    CHECK(read.shortfall.empty());
    // 0x7ffe, 0x7fff → physical 0x5ffe, 0x5fff; 0x8000, 0x8001 → physical 0x2000, 0x2001
    CHECK(read.bytes == std::vector<uint8_t>{0x5e, 0x5f, 0x20, 0x21});
}

TEST_CASE("guest reader: an unmapped page stops the read and says where", "[guest_reader]") {
    GuestMemory memory = numbered_ram();
    GuestBytes read = read_guest(memory, two_pages, {0x8ffe, false}, 16);
    CHECK(read.bytes.size() == 2);
    CHECK(read.shortfall == "0x9000 is not mapped in the guest's page tables");
    CHECK(read_guest(memory, two_pages, {0x100, false}, 1).shortfall ==
          "0x100 is not mapped in the guest's page tables");
}

TEST_CASE("guest reader: physical reads ignore the translation and stop at the end of RAM", "[guest_reader]") {
    GuestMemory memory = numbered_ram();
    GuestBytes read = read_guest(memory, two_pages, {0x5000, true}, 3);
    CHECK(read.bytes == std::vector<uint8_t>{0x50, 0x51, 0x52});
    GuestBytes end = read_guest(memory, two_pages, {kRam - 2, true}, 8);
    CHECK(end.bytes.size() == 2);
    CHECK(end.shortfall == "physical 0x10000 is outside guest RAM");
}

TEST_CASE("guest reader: a virtual page mapped outside RAM and the top of the address space", "[guest_reader]") {
    GuestMemory memory = numbered_ram();
    auto to_mmio = [](uint64_t address) -> std::optional<uint64_t> { return address - 0x1000 + 0xe0000000; };
    CHECK(read_guest(memory, to_mmio, {0x1000, false}, 4).shortfall ==
          "0x1000 maps to physical 0xe0000000, outside guest RAM");
    auto to_zero = [](uint64_t) { return std::optional<uint64_t>(0); };
    GuestBytes top = read_guest(memory, to_zero, {UINT64_MAX - 1, false}, 8);
    CHECK(top.bytes.size() == 1);  // no wrap-around past 2^64
}
