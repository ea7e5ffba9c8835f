// Unit tests for the boot data the VMM writes into guest RAM: the kernel command line, the init
// module at the top of RAM, and the BootInfo block at the offsets the guest reads.
#include <catch2/catch.hpp>

#include "error_matchers.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/loader/boot_info.hpp"
#include "vmm/x86/layout.hpp"

using glassvm::ErrorKind;
using glassvm::GuestMemory;

namespace layout = glassvm::layout;
namespace abi = glassvm::abi;

namespace {

using glassvm::test::IsBadInput;

constexpr uint64_t kMiB = 1ull << 20;

GuestMemory filled_memory(uint64_t size) {
    GuestMemory memory = GuestMemory::allocate(size);
    std::memset(memory.host_base(), 0xAA, memory.size());
    return memory;
}

std::vector<uint8_t> pattern(size_t size) {
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
    return bytes;
}

std::string read_string(const GuestMemory& memory, uint64_t address, uint64_t length) {
    auto bytes = memory.slice(address, length);
    return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST_CASE("boot info: the command line is copied NUL-terminated", "[boot_info]") {
    GuestMemory memory = filled_memory(1 * kMiB);
    const std::string command_line = "hostname=box1 -- 100";
    glassvm::write_command_line(memory, command_line);
    CHECK(read_string(memory, layout::kCommandLine, command_line.size()) == command_line);
    CHECK(memory.read_object<uint8_t>(layout::kCommandLine + command_line.size()) == 0);
    CHECK(memory.read_object<uint8_t>(layout::kCommandLine + command_line.size() + 1) == 0xAA);
}

TEST_CASE("boot info: an empty command line is a lone NUL", "[boot_info]") {
    GuestMemory memory = filled_memory(1 * kMiB);
    glassvm::write_command_line(memory, "");
    CHECK(memory.read_object<uint8_t>(layout::kCommandLine) == 0);
    CHECK(memory.read_object<uint8_t>(layout::kCommandLine + 1) == 0xAA);
}

TEST_CASE("boot info: the longest command line fills its page exactly", "[boot_info]") {
    GuestMemory memory = filled_memory(1 * kMiB);
    const std::string longest(layout::kCommandLineMax - 1, 'x');
    glassvm::write_command_line(memory, longest);
    CHECK(read_string(memory, layout::kCommandLine, longest.size()) == longest);
    CHECK(memory.read_object<uint8_t>(layout::kCommandLine + layout::kCommandLineMax - 1) == 0);
    // The boot stack page after it is untouched.
    CHECK(memory.read_object<uint8_t>(layout::kCommandLine + layout::kCommandLineMax) == 0xAA);
}

TEST_CASE("boot info: a command line too long for its page is BadInput", "[boot_info]") {
    GuestMemory memory = filled_memory(1 * kMiB);
    const std::string too_long(layout::kCommandLineMax, 'x');
    REQUIRE_THROWS_MATCHES(glassvm::write_command_line(memory, too_long), glassvm::Error,
                           IsBadInput("--cmdline: 4096 bytes is longer than the 4095 the guest accepts"));
    // Nothing was written.
    CHECK(memory.read_object<uint8_t>(layout::kCommandLine) == 0xAA);
}

TEST_CASE("boot info: a module is placed page-aligned at the top of RAM", "[boot_info]") {
    GuestMemory memory = filled_memory(16 * kMiB);
    const std::vector<uint8_t> module = pattern(5000);
    uint64_t address = glassvm::place_module(memory, module, 2 * kMiB, "init program probe");

    CHECK(address == 16 * kMiB - 2 * layout::kPageSize);  // 5000 bytes need two pages
    CHECK(address % layout::kPageSize == 0);
    CHECK(address + module.size() <= memory.size());
    auto placed = memory.slice(address, module.size());
    CHECK(std::equal(placed.begin(), placed.end(), module.begin()));
}

TEST_CASE("boot info: a whole-page module ends exactly at the end of RAM", "[boot_info]") {
    GuestMemory memory = filled_memory(16 * kMiB);
    const std::vector<uint8_t> module = pattern(2 * layout::kPageSize);
    uint64_t address = glassvm::place_module(memory, module, 2 * kMiB, "init program probe");
    CHECK(address == 16 * kMiB - 2 * layout::kPageSize);
    CHECK(memory.read_object<uint8_t>(memory.size() - 1) == module.back());
    CHECK(memory.read_object<uint8_t>(address - 1) == 0xAA);
}

TEST_CASE("boot info: with RAM not a page multiple the module stays in whole pages", "[boot_info]") {
    GuestMemory memory = filled_memory(4 * kMiB + 0x800);
    uint64_t address = glassvm::place_module(memory, pattern(100), 2 * kMiB, "init");
    CHECK(address == 4 * kMiB - layout::kPageSize);
}

TEST_CASE("boot info: a module exactly filling RAM above lowest_allowed fits", "[boot_info]") {
    GuestMemory memory = filled_memory(4 * kMiB);
    const std::vector<uint8_t> module = pattern(2 * kMiB);
    CHECK(glassvm::place_module(memory, module, 2 * kMiB, "init program probe") == 2 * kMiB);
    CHECK(memory.read_object<uint8_t>(2 * kMiB) == module.front());
}

TEST_CASE("boot info: a module that does not fit is BadInput", "[boot_info]") {
    GuestMemory memory = filled_memory(4 * kMiB);
    SECTION("one byte over the space above lowest_allowed") {
        REQUIRE_THROWS_MATCHES(glassvm::place_module(memory, pattern(2 * kMiB + 1), 2 * kMiB, "init program probe"),
                               glassvm::Error,
                               IsBadInput("init program probe: 2097153 bytes do not fit in guest RAM above 0x200000 "
                                          "(RAM is 4 MiB; try a larger --mem)"));
    }
    SECTION("larger than all of RAM") {
        REQUIRE_THROWS_MATCHES(glassvm::place_module(memory, pattern(5 * kMiB), 0, "init program probe"),
                               glassvm::Error, IsBadInput("init program probe: 5242880 bytes do not fit"));
    }
    SECTION("lowest_allowed above the end of RAM") {
        REQUIRE_THROWS_MATCHES(glassvm::place_module(memory, pattern(16), 8 * kMiB, "init"), glassvm::Error,
                               IsBadInput("init: 16 bytes do not fit in guest RAM above 0x800000"));
    }
}

TEST_CASE("boot info: BootInfo round-trips at the offsets the guest reads", "[boot_info]") {
    GuestMemory memory = filled_memory(1 * kMiB);
    abi::BootInfo info{.version = abi::kBootInfoVersion,
                       .cpu_count = 1,
                       .memory_bytes = 64 * kMiB,
                       .cmdline_address = layout::kCommandLine,
                       .cmdline_length = 20,
                       .init_address = 0x3FF'E000,
                       .init_size = 5000,
                       .tsc_khz = 2'995'200};

    CHECK(glassvm::write_boot_info(memory, info) == layout::kBootInfo);

    auto back = memory.read_object<abi::BootInfo>(layout::kBootInfo);
    CHECK(std::memcmp(&back, &info, sizeof info) == 0);
    // The ABI layout, field by field.
    CHECK(memory.read_object<uint32_t>(layout::kBootInfo + 0) == abi::kBootInfoVersion);
    CHECK(memory.read_object<uint32_t>(layout::kBootInfo + 4) == 1);
    CHECK(memory.read_object<uint64_t>(layout::kBootInfo + 8) == 64 * kMiB);
    CHECK(memory.read_object<uint64_t>(layout::kBootInfo + 16) == layout::kCommandLine);
    CHECK(memory.read_object<uint64_t>(layout::kBootInfo + 24) == 20);
    CHECK(memory.read_object<uint64_t>(layout::kBootInfo + 32) == 0x3FF'E000);
    CHECK(memory.read_object<uint64_t>(layout::kBootInfo + 40) == 5000);
    CHECK(memory.read_object<uint64_t>(layout::kBootInfo + 48) == 2'995'200);
    CHECK(memory.read_object<uint8_t>(layout::kBootInfo + sizeof(abi::BootInfo)) == 0xAA);
}
