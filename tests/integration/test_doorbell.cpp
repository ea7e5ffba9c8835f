// The doorbell port: KVM counts the guest's writes through an ioeventfd, so they never reach the
// VMM as exits, and glassvm still knows how many there were.
#include <catch2/catch.hpp>

#include "process.hpp"

using namespace glassvm::test;

TEST_CASE("doorbell rings are counted by KVM and are not exits", "[kvm][doorbell]") {
    require_kvm();
    std::string kernel = build_path("tests/guests/doorbell.elf");

    auto verbose = run_process({build_path("glassvm"), "run", "--verbose", kernel});
    INFO(verbose.err);
    REQUIRE(verbose.exit_status == 0);
    CHECK_THAT(verbose.err, Catch::Contains("doorbell port 0xf8: 100 rings, counted by KVM without an exit"));
    CHECK_THAT(verbose.err, Catch::Contains("unmapped port accesses: 0 reads, 0 writes"));

    auto stats = run_process({build_path("glassvm"), "run", "--json", kernel});
    INFO(stats.err);
    REQUIRE(stats.exit_status == 0);
    CHECK_THAT(stats.err, Catch::Contains("\"total_exits\": 1"));  // the exit port only
    CHECK_THAT(stats.err, !Catch::Contains("port 0xf8"));
}
