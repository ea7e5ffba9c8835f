// The exit trace's line format, the exit statistics' bookkeeping and rendering, and the
// latency histogram's percentiles — all fed made-up exits, no KVM needed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>

#include "vmm/debug/exit_format.hpp"
#include "vmm/debug/exit_stats.hpp"
#include "vmm/debug/exit_trace.hpp"
#include "vmm/debug/latency_histogram.hpp"

using namespace glassvm;
using namespace std::chrono_literals;

namespace {

class NamedDevice : public IoDevice {
public:
    std::string_view name() const override { return "serial"; }
    void read(uint64_t, std::span<uint8_t>) override {}
    void write(uint64_t, std::span<const uint8_t>) override {}
};

ExitStats::Key port_key(uint64_t port, std::string_view device) {
    return {.reason = "IO", .where = ExitStats::Where::Port, .address = port, .device = device};
}

}  // namespace

TEST_CASE("exit format: port IO and MMIO exits are described with their data", "[watch]") {
    uint8_t byte = 'A';
    VmExit out = PortIoExit{.port = 0x3f8, .size = 1, .is_write = true, .count = 1, .data = {&byte, 1}};
    CHECK(describe_exit(out) == "IO out port=0x3f8 size=1 data=0x41");
    CHECK(exit_json_fields(out) == R"("reason":"IO","direction":"out","port":1016,"size":1,"count":1,"data":"0x41")");

    uint8_t word[4] = {0x78, 0x56, 0x34, 0x12};
    VmExit mmio = MmioExit{.address = 0xe0000000, .is_write = false, .data = word};
    CHECK(describe_exit(mmio) == "MMIO read gpa=0xe0000000 size=4 data=0x12345678");
    CHECK(describe_exit(VmExit{ShutdownExit{}}) == "SHUTDOWN");
    uint8_t many[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(format_data(many) == "01 02 03 04 05 06 07 08 09 0a");
}

TEST_CASE("exit trace: text and JSON lines carry sequence time vCPU reason rip and device", "[watch]") {
    uint8_t byte = 7;
    VmExit exit = PortIoExit{.port = 0xf4, .size = 1, .is_write = true, .count = 1, .data = {&byte, 1}};
    ExitEvent event{
        .sequence = 42, .vcpu = 0, .exit = exit, .since_boot = 1'234'567ns, .in_guest = 10us, .rip = 0x100004};
    NamedDevice device;
    std::string text =
        ExitTrace::format_line(TraceFormat::Text, event, {.device = &device, .in_vmm = 1us, .stops_vm = false});
    CHECK_THAT(text, Catch::StartsWith("#42 ") && Catch::Contains("1234.567us") && Catch::Contains("vcpu0") &&
                         Catch::Contains("IO out port=0xf4 size=1 data=0x7") && Catch::Contains("rip=0x100004") &&
                         Catch::EndsWith("-> serial"));

    std::string line =
        ExitTrace::format_line(TraceFormat::JsonLines, event, {.device = nullptr, .in_vmm = 1us, .stops_vm = true});
    auto json = nlohmann::json::parse(line);
    CHECK(json["seq"] == 42);
    CHECK(json["t_us"].get<double>() == Approx(1234.567));
    CHECK(json["reason"] == "IO");
    CHECK(json["port"] == 0xf4);
    CHECK(json["rip"] == 0x100004);
    CHECK(json["device"].is_null());
    CHECK(json["ends_vm"] == true);
    CHECK_THROWS_AS(parse_trace_format("xml"), Error);
}

TEST_CASE("exit stats: counts and times per location and per reason", "[watch]") {
    ExitStats stats;
    // vCPU 0: three serial exits 10 µs apart, then one exit-port write.
    stats.record(0, port_key(0x3f8, "serial"), 100us, 8us, 1us);
    stats.record(0, port_key(0x3f8, "serial"), 110us, 8us, 1us);
    stats.record(0, port_key(0x3f8, "serial"), 120us, 8us, 1us);
    stats.record(0, port_key(0xf4, "exit"), 150us, 20us, 2us);
    stats.record(0, {.reason = "HLT", .where = ExitStats::Where::Nowhere, .address = 0, .device = ""}, 160us, 1us, 0us);
    CHECK(stats.total_exits() == 5);

    auto rows = stats.by_location();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].location == "port 0x3f8");
    CHECK(rows[0].device == "serial");
    CHECK(rows[0].count == 3);
    CHECK(rows[0].in_vmm == 3us);
    CHECK(rows[0].in_guest == 24us);
    // Round trips of the serial exits: 10, 10 and 30 µs (the third ends at the exit-port exit).
    CHECK(rows[0].round_trip.count() == 3);
    CHECK(rows[0].round_trip.percentile(0.5) == Approx(10'000).epsilon(0.03));
    CHECK(rows[0].round_trip.percentile(0.99) == Approx(30'000).epsilon(0.03));

    auto reasons = stats.by_reason();
    REQUIRE(reasons.size() == 2);
    CHECK(reasons[0].reason == "IO");
    CHECK(reasons[0].count == 4);
    CHECK(reasons[1].reason == "HLT");

    std::string table = stats.render_table();
    CHECK_THAT(table, Catch::Contains("exit statistics: 5 exits") && Catch::Contains("port 0x3f8") &&
                          Catch::Contains("serial") && Catch::Contains("per reason:"));
    auto json = nlohmann::json::parse(stats.render_json());
    CHECK(json["total_exits"] == 5);
    CHECK(json["by_location"].size() == 3);
    CHECK(json["by_reason"][0]["count"] == 4);
    CHECK(json["by_location"][0]["where"] == "port 0x3f8");
}

TEST_CASE("exit stats: round trips are tracked per vCPU", "[watch]") {
    ExitStats stats;
    stats.record(0, port_key(0x3f8, "serial"), 100us, 1us, 1us);
    stats.record(1, port_key(0x3f8, "serial"), 101us, 1us, 1us);  // vCPU 1's first: no round trip yet
    stats.record(0, port_key(0x3f8, "serial"), 105us, 1us, 1us);  // completes vCPU 0's: 5 µs
    auto rows = stats.by_location();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].round_trip.count() == 1);
    CHECK(rows[0].round_trip.percentile(0.5) == Approx(5'000).epsilon(0.03));
}

TEST_CASE("latency histogram: percentiles stay within 3 percent of the exact ones", "[watch]") {
    std::mt19937_64 random(7);
    std::lognormal_distribution<double> latency(9.5, 0.8);  // ~13 µs median, long tail
    std::vector<uint64_t> samples;
    LatencyHistogram histogram;
    for (int i = 0; i < 20000; ++i) {
        auto value = static_cast<uint64_t>(latency(random));
        samples.push_back(value);
        histogram.record(value);
    }
    std::sort(samples.begin(), samples.end());
    for (double fraction : {0.5, 0.9, 0.99}) {
        auto rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(samples.size())));
        double exact = static_cast<double>(samples[rank - 1]);
        INFO("p" << fraction * 100);
        CHECK(static_cast<double>(histogram.percentile(fraction)) == Approx(exact).epsilon(0.03));
    }
    CHECK(histogram.count() == 20000);
    LatencyHistogram small;
    small.record(5);
    CHECK(small.percentile(0.5) == 5);  // below 64 ns values are exact
    CHECK(LatencyHistogram().percentile(0.5) == 0);
}
