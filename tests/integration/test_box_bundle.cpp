// OCI bundles: a stock `runc spec` bundle (args edited) gives the same output under runc and
// under `glassvm box run --bundle`; a bundle's limits and read-only root are honoured.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "test_box_support.hpp"

using namespace glassvm::test;
using nlohmann::json;

namespace {

void require_runc() {
    if (run_process({"runc", "--version"}).exit_status == 0) return;
    std::printf("SKIPPED: runc is not installed (scripts/setup installs Debian's runc)\n");
    std::fflush(stdout);
    std::_Exit(77);
}

// A bundle made by `runc spec` itself, then edited as a user would: the args, the shared test
// rootfs, and terminal off (runc refuses a terminal when it has none to give, as under ctest).
std::string stock_bundle(const std::string& name, const std::vector<std::string>& args,
                         const std::function<void(json&)>& edit = {}) {
    std::filesystem::path bundle = build_path("box-test-bundles") + "/" + name + "-" + std::to_string(::getpid());
    std::filesystem::remove_all(bundle);
    std::filesystem::create_directories(bundle);
    ProcessResult spec = run_process({"runc", "spec", "--bundle", bundle.string()});
    REQUIRE(spec.exit_status == 0);
    json config = json::parse(std::ifstream(bundle / "config.json"));
    config["process"]["args"] = args;
    config["process"]["terminal"] = false;
    config["root"]["path"] = box_rootfs();
    if (edit) edit(config);
    std::ofstream(bundle / "config.json") << config.dump(1);
    return bundle.string();
}

const char* const kInspect =
    "hostname; id; grep -E '^(Cap(Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status; ls /; ls /dev; env | sort; pwd;"
    " touch /x 2>&1; ulimit -n; cat /proc/self/uid_map; mount | grep -c ' on /proc/'; exit 3";

}  // namespace

TEST_CASE("box bundle: the same OCI bundle runs under runc and under glassvm box --bundle with the same output",
          "[box]") {
    require_root();
    require_runc();
    std::string bundle = stock_bundle("same", {"sh", "-c", kInspect});
    ProcessResult runc = run_process({"runc", "run", "--bundle", bundle, "glassvm-test-" + std::to_string(::getpid())});
    ProcessResult box = run_process({build_path("glassvm"), "box", "run", "--bundle", bundle});
    INFO("runc:\n" << runc.out << runc.err << "\nglassvm box:\n" << box.out << box.err);
    CHECK(runc.exit_status == 3);
    CHECK(box.exit_status == 3);
    CHECK(box.out == runc.out);
    CHECK(box.err == runc.err);
    // And what that output says: runc spec's hostname, three capabilities, a read-only root.
    CHECK_THAT(box.out, Catch::StartsWith("runc\nuid=0(root) gid=0(root)\nCapPrm:\t0000000020000420\n"));
    CHECK_THAT(box.out, Catch::Contains("touch: /x: Read-only file system"));
}

TEST_CASE("box bundle: a bundle's memory and pids limits reach its cgroup", "[box]") {
    require_root();
    require_runc();
    std::string bundle =
        stock_bundle("limits",
                     {"sh", "-c",
                      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null ||"
                      " cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"},
                     [](json& config) {
                         config["linux"]["resources"]["memory"]["limit"] = 40 << 20;
                         config["linux"]["resources"]["pids"]["limit"] = 12;
                     });
    ProcessResult box = run_process({build_path("glassvm"), "box", "run", "--bundle", bundle});
    INFO(box.out << box.err);
    CHECK(box.exit_status == 0);
    CHECK(box.out == "41943040\n12\n");
}

TEST_CASE("box bundle: a command after -- replaces process.args", "[box]") {
    require_root();
    require_runc();
    std::string bundle = stock_bundle("override", {"false"});
    ProcessResult box = run_process({build_path("glassvm"), "box", "run", "--bundle", bundle, "--", "/probe", "10"});
    INFO(box.out << box.err);
    CHECK(box.exit_status == 0);
    CHECK(value_of(box.out, "nodename") == "runc");
    CHECK(value_of(box.out, "pid") == "2");
}
