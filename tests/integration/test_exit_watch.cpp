// --trace-exits and --exit-stats on real guests: the trace shows every exit with its device,
// the statistics add up to the trace, and JSON output parses.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "process.hpp"

using namespace glassvm::test;

TEST_CASE("the exit trace shows each exit with port data rip and device", "[kvm][watch]") {
    require_kvm();
    auto result =
        run_process({build_path("glassvm"), "run", build_path("tests/guests/exit_status.elf"), "--trace-exits"});
    INFO(result.err);
    CHECK(result.exit_status == 7);
    // exit_status.elf does exactly one OUT of 7 to port 0xf4.
    CHECK_THAT(result.err, Catch::Contains("#1 ") && Catch::Contains("vcpu0 IO out port=0xf4 size=1 data=0x7") &&
                               Catch::Contains("-> exit"));
    CHECK(result.err.find("#2 ") == std::string::npos);
}

TEST_CASE("the JSON-lines trace and the exit statistics agree on the bundled guest", "[kvm][watch]") {
    require_kvm();
    std::string trace_path = build_path("test-trace.jsonl");
    auto result = run_process({build_path("glassvm"), "run", "--init", build_path("workloads/probe"), "--cmdline",
                               "-- 10", "--trace-exits=" + trace_path, "--trace-format", "jsonl", "--json"});
    INFO(result.err);
    REQUIRE(result.exit_status == 0);

    std::ifstream trace(trace_path);
    std::string line;
    uint64_t lines = 0, serial_writes = 0, last_sequence = 0;
    while (std::getline(trace, line)) {
        auto json = nlohmann::json::parse(line);
        CHECK(json["seq"].get<uint64_t>() == last_sequence + 1);
        last_sequence = json["seq"];
        ++lines;
        if (json["reason"] == "IO" && json["port"] == 0x3f8 && json["direction"] == "out") ++serial_writes;
    }
    CHECK(lines > 50);
    CHECK(serial_writes > 50);  // the banner and the probe's lines go out through THR

    auto stats = nlohmann::json::parse(result.err.substr(result.err.find('{')));
    CHECK(stats["total_exits"].get<uint64_t>() == lines);
    uint64_t serial_from_stats = 0;
    for (const auto& row : stats["by_location"])
        if (row["where"] == "port 0x3f8") serial_from_stats += row["count"].get<uint64_t>();
    CHECK(serial_from_stats >= serial_writes);
    for (const auto& row : stats["by_reason"]) CHECK(row["round_trip_p50_ns"].get<uint64_t>() > 0);
}

TEST_CASE("the exit statistics table names reasons devices and percentiles", "[kvm][watch]") {
    require_kvm();
    auto result =
        run_process({build_path("glassvm"), "run", build_path("tests/guests/unmapped_mmio.elf"), "--exit-stats"});
    INFO(result.err);
    CHECK(result.exit_status == 42);
    CHECK_THAT(result.err, Catch::Contains("exit statistics: 3 exits") && Catch::Contains("gpa 0xe0000000") &&
                               Catch::Contains("unmapped") && Catch::Contains("rt p99") &&
                               Catch::Contains("port 0xf4"));
}

TEST_CASE("the trace never overwrites a program named after the trace option", "[watch]") {
    std::string kernel = build_path("tests/guests/exit_status.elf");
    std::ifstream before(kernel, std::ios::binary);
    std::string original((std::istreambuf_iterator<char>(before)), {});
    auto result = run_process({build_path("glassvm"), "run", "--trace-exits", kernel});
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains("is an ELF program, not a trace file"));
    std::ifstream after(kernel, std::ios::binary);
    CHECK(std::string((std::istreambuf_iterator<char>(after)), {}) == original);
}

TEST_CASE("a bad trace format is a usage error", "[watch]") {
    auto result = run_process({build_path("glassvm"), "run", "--trace-exits", "--trace-format", "xml"});
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains("--trace-format"));
}
