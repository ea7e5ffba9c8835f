// GuestMemory::zero (vmm/accel/guest_memory.hpp): the range reads as zeros, nothing outside it
// changes, and the whole pages inside it are given back rather than written (mincore says they
// are no longer resident), which is what spares a loaded kernel's .bss its page faults.
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/error.hpp"
#include "vmm/accel/guest_memory.hpp"

using glassvm::GuestMemory;

namespace {

const uint64_t kPage = uint64_t(::sysconf(_SC_PAGESIZE));

bool all_equal(std::span<const uint8_t> bytes, uint8_t value) {
    return std::all_of(bytes.begin(), bytes.end(), [&](uint8_t byte) { return byte == value; });
}

// Whether each page of [address, address + length) (page-aligned) is resident in host memory.
std::vector<bool> resident(const GuestMemory& memory, uint64_t address, uint64_t length) {
    std::vector<unsigned char> flags(length / kPage);
    REQUIRE(::mincore(memory.host_base() + address, length, flags.data()) == 0);
    std::vector<bool> result;
    for (unsigned char flag : flags) result.push_back(flag & 1);
    return result;
}

}  // namespace

TEST_CASE("guest memory: zero clears a range with partial pages at both ends and drops the whole ones", "[memory]") {
    GuestMemory memory = GuestMemory::allocate(16 * kPage);
    std::memset(memory.host_base(), 0xaa, memory.size());
    const uint64_t start = 2 * kPage + 100, length = 5 * kPage;  // pages 2 (part), 3-6 (whole), 7 (part)

    memory.zero(start, length);

    CHECK(all_equal(memory.slice(0, start), 0xaa));
    CHECK(all_equal(memory.slice(start + length, memory.size() - (start + length)), 0xaa));
    std::vector<bool> pages = resident(memory, 0, memory.size());
    CHECK(pages[2]);  // partly kept: written, so resident
    CHECK(pages[7]);
    for (size_t page = 3; page <= 6; ++page) {
        INFO("page " << page);
        CHECK_FALSE(pages[page]);  // given back, not written
    }
    CHECK(all_equal(memory.slice(start, length), 0));  // reading maps the zero page
}

TEST_CASE("guest memory: zero inside one page, and of exactly whole pages", "[memory]") {
    GuestMemory memory = GuestMemory::allocate(8 * kPage);
    std::memset(memory.host_base(), 0xaa, memory.size());

    memory.zero(kPage + 10, 20);
    CHECK(all_equal(memory.slice(kPage + 10, 20), 0));
    CHECK(memory.read_object<uint8_t>(kPage + 9) == 0xaa);
    CHECK(memory.read_object<uint8_t>(kPage + 30) == 0xaa);

    memory.zero(4 * kPage, 2 * kPage);
    CHECK(resident(memory, 4 * kPage, 2 * kPage) == std::vector<bool>{false, false});
    CHECK(all_equal(memory.slice(4 * kPage, 2 * kPage), 0));
    CHECK(all_equal(memory.slice(3 * kPage, kPage), 0xaa));
    CHECK(all_equal(memory.slice(6 * kPage, kPage), 0xaa));

    memory.zero(memory.size(), 0);  // empty, at the very end: nothing to do, no error
}

TEST_CASE("guest memory: zero outside RAM is an error, and changes nothing", "[memory]") {
    GuestMemory memory = GuestMemory::allocate(4 * kPage);
    std::memset(memory.host_base(), 0xaa, memory.size());
    CHECK_THROWS_AS(memory.zero(3 * kPage, 2 * kPage), glassvm::Error);
    CHECK(all_equal(memory.slice(0, memory.size()), 0xaa));
}
