// Unit tests for choosing a boot path by name (`--boot`).
#include <catch2/catch.hpp>

#include "error_matchers.hpp"
#include "vmm/boot/boot_method.hpp"

using glassvm::BootPath;
using glassvm::test::IsBadInput;

TEST_CASE("boot path names round-trip", "[boot]") {
    for (BootPath path : {BootPath::Direct, BootPath::Pvh, BootPath::Firmware, BootPath::Linux})
        CHECK(glassvm::parse_boot_path(glassvm::to_string(path)) == path);
    CHECK(glassvm::to_string(BootPath::Firmware) == "firmware");
}

TEST_CASE("an unknown boot path is bad input naming the choices", "[boot]") {
    CHECK_THROWS_MATCHES(glassvm::parse_boot_path("bios"), glassvm::Error,
                         IsBadInput("'bios' is not a boot path (choose direct, pvh, firmware or linux)"));
    CHECK_THROWS_MATCHES(glassvm::parse_boot_path(""), glassvm::Error, IsBadInput("is not a boot path"));
}
