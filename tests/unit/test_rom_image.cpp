// Unit tests for boot ROM images (--firmware): the size rules, the reset-vector jump, where the
// image lands, and that the host copy is read-only; plus the ROM's write reporter.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "error_matchers.hpp"
#include "vmm/devices/rom_write_reporter.hpp"
#include "vmm/loader/rom_image.hpp"

using glassvm::RomImage;
using glassvm::test::IsBadInput;

namespace {

// A ROM of `size` bytes of 0xff whose reset vector holds `vector`.
std::vector<uint8_t> rom(size_t size, std::vector<uint8_t> vector = {0xfa, 0xfc, 0xe9, 0x00, 0x00}) {
    std::vector<uint8_t> bytes(size, 0xff);
    std::copy(vector.begin(), vector.end(), bytes.end() - 16);
    return bytes;
}

}  // namespace

TEST_CASE("rom image: a good image ends at 4 GiB", "[firmware]") {
    RomImage image = RomImage::from_bytes(rom(0x10000), "test.bin");
    CHECK(image.size() == 0x10000);
    CHECK(image.guest_address() == 0xffff'0000);
    CHECK(image.bytes()[0xfff2] == 0xe9);
    RomImage small = RomImage::from_bytes(rom(0x1000), "small.bin");
    CHECK(small.guest_address() == 0xffff'f000);
}

TEST_CASE("rom image: the largest image stops at the VMX TSS pages", "[firmware]") {
    CHECK(RomImage::max_size() == 256 * 1024);
    CHECK_NOTHROW(RomImage::from_bytes(rom(RomImage::max_size()), "big.bin"));
    CHECK_THROWS_MATCHES(RomImage::from_bytes(rom(RomImage::max_size() + 0x1000), "huge.bin"), glassvm::Error,
                         IsBadInput("firmware ROM huge.bin: 260 KiB is larger than the 256 KiB"));
}

TEST_CASE("rom image: empty and partial-page images are bad input", "[firmware]") {
    CHECK_THROWS_MATCHES(RomImage::from_bytes({}, "empty.bin"), glassvm::Error,
                         IsBadInput("firmware ROM empty.bin: is empty"));
    CHECK_THROWS_MATCHES(RomImage::from_bytes(rom(1000), "odd.bin"), glassvm::Error,
                         IsBadInput("1000 bytes is not a whole number of 4 KiB pages"));
}

TEST_CASE("rom image: the reset vector must jump", "[firmware]") {
    CHECK_THROWS_MATCHES(RomImage::from_bytes(std::vector<uint8_t>(0x1000, 0), "zeros.bin"), glassvm::Error,
                         IsBadInput("no jump at the reset vector"));
    CHECK_THROWS_MATCHES(RomImage::from_bytes(rom(0x1000, {0xf4}), "hlt.bin"), glassvm::Error,
                         IsBadInput("start with 0xf4"));
    CHECK_NOTHROW(RomImage::from_bytes(rom(0x1000, {0xea, 0x5b, 0xe0, 0x00, 0xf0}), "seabios-like.bin"));
    CHECK_NOTHROW(RomImage::from_bytes(rom(0x1000, {0x90, 0x90, 0xe9, 0x00, 0x00}), "ovmf-like.bin"));
    CHECK_NOTHROW(RomImage::from_bytes(rom(0x1000, {0xeb, 0xfe}), "short-jump.bin"));
}

TEST_CASE("rom image: a missing file or a directory is bad input", "[firmware]") {
    CHECK_THROWS_MATCHES(RomImage::load("/nonexistent/rom.bin"), glassvm::Error,
                         IsBadInput("firmware ROM /nonexistent/rom.bin"));
    CHECK_THROWS_MATCHES(RomImage::load("/tmp"), glassvm::Error, IsBadInput("is a directory"));
}

TEST_CASE("rom image: the host copy cannot be written", "[firmware]") {
    RomImage image = RomImage::from_bytes(rom(0x1000), "test.bin");
    // The kernel's own view of the mapping's protection: /proc/self/maps.
    auto address = reinterpret_cast<uintptr_t>(image.bytes().data());
    std::FILE* maps = std::fopen("/proc/self/maps", "re");
    REQUIRE(maps);
    char line[512];
    std::string permissions;
    while (std::fgets(line, sizeof line, maps)) {
        uintptr_t start = 0, end = 0;
        char perms[8] = {};
        if (std::sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && address >= start && address < end)
            permissions = perms;
    }
    std::fclose(maps);
    CHECK(permissions.substr(0, 3) == "r--");
}

TEST_CASE("rom write reporter: the first writes verbatim, then a count", "[firmware]") {
    std::vector<std::string> lines;
    {
        glassvm::RomWriteReporter reporter(
            0xffff'0000, [&](std::string_view line) { lines.emplace_back(line); }, 2);
        CHECK(reporter.name() == "fw-rom");
        const uint8_t byte = 0x5a;
        reporter.write(0x1234, std::span<const uint8_t>(&byte, 1));
        const uint8_t dword[4] = {0x78, 0x56, 0x34, 0x12};
        reporter.write(0xfff0, dword);
        for (int i = 0; i < 5; ++i) reporter.write(0, std::span<const uint8_t>(&byte, 1));
        CHECK(reporter.writes() == 7);
        uint8_t read_back[2] = {};
        reporter.read(0, read_back);
        CHECK((read_back[0] == 0xff && read_back[1] == 0xff));
    }
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "guest wrote 0x5a (1 byte) to the firmware ROM at 0xffff1234 — ignored");
    CHECK(lines[1] == "guest wrote 0x12345678 (4 bytes) to the firmware ROM at 0xfffffff0 — ignored");
    CHECK(lines[2] == "further writes to the firmware ROM are ignored and only counted");
    CHECK(lines[3] == "the guest wrote to the firmware ROM 7 times in all (2 shown); every write was ignored");
}
