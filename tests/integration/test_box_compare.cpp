// glassvm compare: the box row's kernel is the host's, the VM rows' kernel is the guest's own,
// the JSON has every row, absent peers are listed as absent (never measured or made up), and
// --plot draws a PNG.
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "test_box_support.hpp"

using namespace glassvm::test;
using nlohmann::json;

namespace {

const json* row_named(const json& document, const std::string& name) {
    for (const json& row : document["rows"])
        if (row["name"] == name) return &row;
    return nullptr;
}

// The glassvm VM row this run measures: the soft CPU's when the suite runs on it
// (GLASSVM_ACCEL=soft), KVM's otherwise.
std::string measured_vm_row() {
    const char* accel = std::getenv("GLASSVM_ACCEL");
    return accel != nullptr && std::string(accel) == "soft" ? "glassvm VM (soft CPU)" : "glassvm VM";
}

// The soft CPU's row, when not the one measured: measured, or saying why not.
void check_soft_row(const json& document) {
    const json& soft = *row_named(document, "glassvm VM (soft CPU)");
    INFO(soft.dump());
    CHECK(soft["command"][2] == "--accel");
    CHECK(soft["command"][3] == "soft");
    if (soft["status"] == "ok")
        CHECK(soft["sysname"] == "glassvm");
    else
        CHECK((soft["status"] == "unavailable" || soft["status"] == "absent"));
    if (soft["status"] != "ok") CHECK_FALSE(soft["reason"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("compare: the box shares the host's kernel, the VMs run their own, and the JSON has every row",
          "[kvm][box][compare]") {
    require_root();
    require_kvm();
    std::string plot = build_path("box-test-compare.png");
    std::filesystem::remove(plot);
    ProcessResult result =
        run_process({build_path("glassvm"), "compare", "--json", "--runs", "1", "--calls", "10", "--plot", plot}, {},
                    std::chrono::seconds(90));
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    json document = json::parse(result.out);
    std::vector<std::string> names;
    for (const json& row : document["rows"]) names.push_back(row["name"]);
    CHECK(names == std::vector<std::string>{"host process", "glassvm box", "glassvm VM", "glassvm VM (soft CPU)",
                                            "runc", "bubblewrap", "QEMU microvm"});

    utsname host{};
    ::uname(&host);
    const json& box = *row_named(document, "glassvm box");
    REQUIRE(box["status"] == "ok");
    CHECK(box["sysname"] == "Linux");
    CHECK(box["release"] == host.release);
    CHECK(box["kernel"] == "host");
    CHECK(box["pid"] == 2);
    CHECK(box["hostname"] == "glassvm-box");
    CHECK(box["latency_ms"]["median"].get<double>() > 0);
    CHECK(box["peak_rss_kib"]["median"].get<double>() > 0);

    const json& vm = *row_named(document, measured_vm_row());
    REQUIRE(vm["status"] == "ok");
    CHECK(vm["sysname"] == "glassvm");  // the guest kernel answered uname, not the host's
    CHECK(vm["kernel"] == "own");
    CHECK(vm["pid"] == 1);
    // glassvm's own --exit-stats measured the VM's exits; nobody else's can be seen from outside.
    REQUIRE(vm["vm_exit_ns"].is_object());
    CHECK(vm["vm_exit_ns"]["median"].get<double>() > 0);
    CHECK(box["vm_exit_ns"].is_null());
    check_soft_row(document);

    CHECK((*row_named(document, "host process"))["release"] == host.release);
    for (const char* peer : {"runc", "bubblewrap", "QEMU microvm"}) {
        const json& row = *row_named(document, peer);
        INFO(peer << ": " << row.dump());
        CHECK((row["status"] == "ok" || (row["status"] == "absent" && row["reason"] == "not installed")));
    }
    if ((*row_named(document, "QEMU microvm"))["status"] == "ok")
        CHECK((*row_named(document, "QEMU microvm"))["sysname"] == "glassvm");
    if ((*row_named(document, "runc"))["status"] == "ok")
        CHECK((*row_named(document, "runc"))["release"] == host.release);

    std::ifstream png(plot, std::ios::binary);
    char magic[8] = {};
    png.read(magic, sizeof magic);
    CHECK(std::string(magic + 1, 3) == "PNG");
}

TEST_CASE("compare: peers that are not installed are listed as absent, not measured", "[kvm][box][compare]") {
    require_root();
    require_kvm();
    std::filesystem::path empty = build_path("box-test-empty-path");
    std::filesystem::create_directories(empty);
    ProcessResult result = run_process(
        {"env", "PATH=" + empty.string(), build_path("glassvm"), "compare", "--json", "--runs", "1", "--calls", "10"},
        {}, std::chrono::seconds(60));
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    json document = json::parse(result.out);
    REQUIRE(document["rows"].size() == 7);
    for (const char* peer : {"runc", "bubblewrap", "QEMU microvm"}) {
        const json& row = *row_named(document, peer);
        INFO(row.dump());
        CHECK(row["status"] == "absent");
        CHECK(row["reason"] == "not installed");
        CHECK_FALSE(row.contains("latency_ms"));
        CHECK_FALSE(row.contains("sysname"));
    }
    CHECK((*row_named(document, "glassvm box"))["status"] == "ok");  // glassvm's own rows need nothing installed
    CHECK((*row_named(document, measured_vm_row()))["status"] == "ok");
    check_soft_row(document);
}
