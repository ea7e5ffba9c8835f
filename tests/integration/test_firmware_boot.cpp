// The firmware boot path on real /dev/kvm: the bundled guest boots from the reset vector through
// glassvm's boot ROM to the same banner as direct boot and runs the probe; the ROM's first exits
// are the ones its code says, in order; a write to the ROM is reported and not performed; bad
// ROM images are usage errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <glassvm/abi.hpp>

#include "process.hpp"

using namespace glassvm::test;

namespace {

std::string glassvm_binary() { return build_path("glassvm"); }

// The first line of `text` that starts with `prefix`.
std::string line_starting(const std::string& text, const std::string& prefix) {
    size_t start = text.find(prefix);
    if (start == std::string::npos) return "";
    return text.substr(start, text.find('\n', start) - start);
}

// One exit of the JSON-lines trace, reduced to what the ROM's code determines.
struct TracedExit {
    std::string direction;
    uint64_t port;
    std::string data;
    std::string device;
};

std::vector<nlohmann::json> read_trace(const std::string& path) {
    std::vector<nlohmann::json> exits;
    std::ifstream trace(path);
    for (std::string line; std::getline(trace, line);) exits.push_back(nlohmann::json::parse(line));
    return exits;
}

std::string write_file(const std::string& name, const std::string& bytes) {
    std::string path = build_path(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

}  // namespace

TEST_CASE("firmware boot reaches the same banner as direct boot and runs the probe", "[kvm][firmware]") {
    require_kvm();
    std::vector<std::string> common = {
        "--init", build_path("workloads/probe"), "--cmdline", "hostname=from-reset -- 5", "--timeout", "30"};
    std::vector<std::string> direct = {glassvm_binary(), "run", "--boot", "direct"};
    std::vector<std::string> firmware = {glassvm_binary(), "run", "--boot", "firmware"};
    direct.insert(direct.end(), common.begin(), common.end());
    firmware.insert(firmware.end(), common.begin(), common.end());
    auto direct_result = run_process(direct);
    auto firmware_result = run_process(firmware);
    INFO(firmware_result.out << firmware_result.err);
    REQUIRE(direct_result.exit_status == 0);
    REQUIRE(firmware_result.exit_status == 0);
    std::string banner = line_starting(direct_result.out, "glassvm-guest ");
    CHECK_THAT(banner, Catch::Contains("glassvm-guest " GLASSVM_VERSION));
    CHECK(line_starting(firmware_result.out, "glassvm-guest ") == banner);
    CHECK(value_of(firmware_result.out, "sysname") == "glassvm");
    CHECK(value_of(firmware_result.out, "nodename") == "from-reset");
    CHECK(value_of(firmware_result.out, "pid") == "1");
    CHECK(value_of(firmware_result.out, "getppid_calls") == "5");
    CHECK(firmware_result.err.empty());  // no ROM writes, no A20 complaints
}

TEST_CASE("the firmware's first exits are the ones its code says", "[kvm][firmware]") {
    require_kvm();
    std::string trace_path = build_path("test-firmware-trace.jsonl");
    auto result = run_process({glassvm_binary(), "run", "--boot", "firmware", "--trace-exits=" + trace_path,
                               "--trace-format", "jsonl", "--timeout", "30"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    std::vector<nlohmann::json> exits = read_trace(trace_path);
    constexpr uint64_t kSelector = glassvm::abi::kFirmwareConfigSelectorPort;
    constexpr uint64_t kData = glassvm::abi::kFirmwareConfigDataPort;
    // firmware/real_mode.S, protected_mode.S, long_mode.S, in order ("*": any value).
    const std::vector<TracedExit> expected = {
        {"in", 0x92, "0x0", "a20-gate"},           // A20: read System Control Port A (closed at reset)
        {"out", 0x92, "0x2", "a20-gate"},          //      open the gate
        {"in", 0x92, "0x2", "a20-gate"},           //      check it stuck
        {"out", kSelector, "0x0", "fw-config"},    // item Signature
        {"in", kData, "0x4d564c47", "fw-config"},  // "GLVM"
        {"out", kSelector, "0x1", "fw-config"},    // item Version
        {"in", kData, "0x1", "fw-config"},
        {"out", kSelector, "0x6", "fw-config"},  // item PageTables
        {"in", kData, "0x9000", "fw-config"},
        {"out", kSelector, "0x2", "fw-config"},  // item KernelEntry (64-bit: two reads)
        {"in", kData, "*", "fw-config"},
        {"in", kData, "0x0", "fw-config"},
        {"out", kSelector, "0x3", "fw-config"},  // item BootInfo
        {"in", kData, "0x2000", "fw-config"},
        {"in", kData, "0x0", "fw-config"},
    };
    REQUIRE(exits.size() > expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        INFO("exit #" << i + 1 << ": " << exits[i].dump());
        CHECK(exits[i]["reason"] == "IO");
        CHECK(exits[i]["direction"] == expected[i].direction);
        CHECK(exits[i]["port"] == expected[i].port);
        if (expected[i].data != "*") CHECK(exits[i]["data"] == expected[i].data);
        CHECK(exits[i]["device"] == expected[i].device);
        // Real mode (the A20 exits) reports IP, an offset into CS.base 0xFFFF0000; from protected
        // mode on RIP is the linear address, inside the ROM just below 4 GiB.
        uint64_t rip = exits[i]["rip"];
        if (i < 3)
            CHECK(rip < 0x10000);
        else
            CHECK(rip >= 0xffff0000);
    }
    uint64_t entry = std::stoull(exits[10]["data"].get<std::string>(), nullptr, 16);
    CHECK(entry >= 0x100000);  // the kernel's ELF entry, from the VMM
    // The next exit is the kernel's own, at a RIP inside the kernel.
    CHECK(exits[expected.size()]["rip"].get<uint64_t>() >= 0x100000);
    CHECK(exits[expected.size()]["rip"].get<uint64_t>() < glassvm::abi::kKernelRegionEnd);
}

TEST_CASE("a write to the firmware ROM is reported and not performed", "[kvm][firmware]") {
    require_kvm();
    auto result = run_process({glassvm_binary(), "run", "--boot", "firmware", "--firmware",
                               build_path("tests/guests/rom_write.bin"), "--timeout", "30"});
    INFO(result.out << result.err);
    // tests/guests/rom_write.S writes 0x5a over a byte holding 42, reads it back and exits with it.
    CHECK(result.exit_status == 42);
    CHECK_THAT(result.err, Catch::Contains("glassvm: guest wrote 0x5a (1 byte) to the firmware ROM at 0xfffff") &&
                               Catch::Contains("— ignored"));
}

TEST_CASE("bad firmware ROM images are usage errors", "[kvm][firmware]") {
    require_kvm();  // the ROM is read once the VM exists
    struct Case {
        std::string path;
        std::string message;
    };
    std::filesystem::create_directories(build_path("test-firmware-directory"));
    const std::vector<Case> cases = {
        {write_file("test-firmware-empty.bin", ""), "is empty"},
        {write_file("test-firmware-odd.bin", std::string(1000, '\xff')), "1000 bytes is not a whole number of 4 KiB"},
        {write_file("test-firmware-zeros.bin", std::string(4096, '\0')), "no jump at the reset vector"},
        {build_path("test-firmware-directory"), "is a directory"},
        {build_path("test-firmware-missing.bin"), "No such file or directory"},
    };
    for (const Case& bad : cases) {
        auto result = run_process({glassvm_binary(), "run", "--boot", "firmware", "--firmware", bad.path});
        INFO(bad.path << ": " << result.err);
        CHECK(result.exit_status == 2);
        CHECK_THAT(result.err, Catch::Contains("firmware ROM " + bad.path) && Catch::Contains(bad.message));
    }
}
