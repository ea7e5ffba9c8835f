// Choosing the accelerator from the command line: a bogus --accel or GLASSVM_ACCEL ends every
// command that starts a VM with status 2 and one line; `glassvm info` lists both backends and
// what auto picks; without /dev/kvm (hidden in a mount namespace of the test's own), `--accel
// kvm` is KVM's own error pointing at `--accel soft`, info says why KVM is not usable and compare
// lists its KVM row as unavailable; with KVM, `--verbose` names the backend and auto says nothing. None of them needs the soft CPU to
// boot a guest.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_box_support.hpp"

using namespace glassvm::test;

namespace {

bool kvm_opens() {
    int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

// `glassvm ARGS…` in a mount namespace whose /dev is an empty tmpfs: no /dev/kvm. With
// `empty_path`, also with PATH naming nothing (no peer programs to find).
ProcessResult without_dev_kvm(const std::vector<std::string>& arguments, bool empty_path = false,
                              std::chrono::seconds timeout = std::chrono::seconds(30)) {
    std::string script = std::string("mount -t tmpfs glassvm-no-kvm /dev && exec ") +
                         (empty_path ? "env PATH=/nonexistent " : "") + "\"$0\" \"$@\"";
    std::vector<std::string> argv = {"unshare", "--mount", "--propagation", "private",
                                     "/bin/sh", "-c",      script,          build_path("glassvm")};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return run_process(argv, {}, timeout);
}

}  // namespace

TEST_CASE("accel: a bogus --accel or GLASSVM_ACCEL is status 2 and one line wherever a VM starts", "[accel]") {
    struct Case {
        std::vector<std::string> argv;
        std::string message;
    };
    std::string glassvm = build_path("glassvm");
    const Case cases[] = {
        {{glassvm, "run", "--accel", "bogus"}, "--accel: 'bogus' is not an accelerator (choose auto, kvm or soft)"},
        {{"env", "GLASSVM_ACCEL=bogus", glassvm, "run"},
         "GLASSVM_ACCEL: 'bogus' is not an accelerator (choose auto, kvm or soft)"},
        {{"env", "GLASSVM_ACCEL=KVM", glassvm, "run", "--init", build_path("workloads/probe")},
         "GLASSVM_ACCEL: 'KVM' is not an accelerator"},
        {{glassvm, "compare", "--accel", "bogus"}, "--accel: 'bogus' is not an accelerator"},
        {{"env", "GLASSVM_ACCEL=bogus", glassvm, "compare"}, "GLASSVM_ACCEL: 'bogus' is not an accelerator"},
    };
    for (const Case& bad : cases) {
        ProcessResult result = run_process(bad.argv, {}, std::chrono::seconds(20));
        std::string shown;
        for (const std::string& word : bad.argv) shown += " " + word;
        INFO(shown << "\n" << result.err);
        CHECK(result.exit_status == 2);
        CHECK(result.out.empty());
        CHECK(result.err.starts_with("glassvm: "));
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
        CHECK_THAT(result.err, Catch::Contains(bad.message));
    }
}

TEST_CASE("accel: glassvm info lists KVM and the soft CPU, and what auto picks", "[accel]") {
    ProcessResult result =
        run_process({build_path("glassvm"), "info", "--socket", build_path("accel-test-no-daemon.sock")});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    std::vector<std::string> lines = lines_of(result.out);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].starts_with(kvm_opens() ? "KVM: usable (up to " : "KVM: not usable: "));
    CHECK((lines[1].starts_with("soft CPU: usable (up to ") || lines[1].starts_with("soft CPU: not usable: ")));
    bool soft = lines[1].starts_with("soft CPU: usable");
    if (kvm_opens())
        CHECK(lines[2] == "--accel auto picks KVM");
    else if (soft)
        CHECK(lines[2].starts_with("--accel auto picks the soft CPU (no usable /dev/kvm: "));
    else
        CHECK(lines[2] == "--accel auto has nothing to pick: neither backend opens here");
    CHECK(lines[3] == "daemon: none answers at " + build_path("accel-test-no-daemon.sock"));
}

TEST_CASE("accel: without /dev/kvm, --accel kvm says so and points at --accel soft, info says why", "[accel]") {
    require_root();  // a mount namespace of our own
    ProcessResult kvm = without_dev_kvm({"run", "--accel", "kvm"});
    INFO(kvm.err);
    CHECK(kvm.exit_status == 120);  // the status a missing /dev/kvm has always had
    CHECK(std::count(kvm.err.begin(), kvm.err.end(), '\n') == 1);
    CHECK_THAT(kvm.err, Catch::StartsWith("glassvm: /dev/kvm does not exist, so this machine offers no KVM."));
    CHECK_THAT(kvm.err, Catch::Contains("glassvm's software CPU (`--accel soft`) is meant for machines without KVM, "
                                        "but cannot run guests yet (docs/SOFT-CPU.md)."));

    ProcessResult info = without_dev_kvm({"info", "--socket", build_path("accel-test-no-daemon.sock")});
    INFO(info.out << info.err);
    REQUIRE(info.exit_status == 0);
    std::vector<std::string> lines = lines_of(info.out);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].starts_with("KVM: not usable: /dev/kvm does not exist"));
    CHECK_FALSE(lines[2].starts_with("--accel auto picks KVM"));
}

TEST_CASE("accel: with KVM, --verbose names the backend and why, auto adds no line", "[kvm][accel]") {
    require_kvm();
    std::string probe = build_path("workloads/probe");
    // GLASSVM_ACCEL=bogus: a flag given makes the variable irrelevant.
    ProcessResult verbose = run_process({"env", "GLASSVM_ACCEL=bogus", build_path("glassvm"), "run", "--accel", "kvm",
                                         "--verbose", "--init", probe, "--cmdline", "-- 1"});
    INFO(verbose.err);
    CHECK(verbose.exit_status == 0);
    CHECK_THAT(verbose.err, Catch::StartsWith("glassvm: accelerator: KVM (--accel kvm)\n"));

    ProcessResult quiet =
        run_process({"env", "GLASSVM_ACCEL=auto", build_path("glassvm"), "run", "--init", probe, "--cmdline", "-- 1"});
    INFO(quiet.err);
    CHECK(quiet.exit_status == 0);
    CHECK(quiet.err.empty());
    CHECK(value_of(quiet.out, "sysname") == "glassvm");
}

TEST_CASE("accel: compare without /dev/kvm lists the KVM row as unavailable and why, and goes on", "[accel][compare]") {
    require_root();
    // An empty PATH: no runc, bwrap or QEMU to wait for; glassvm's own rows need nothing installed.
    ProcessResult result = without_dev_kvm({"compare", "--json", "--runs", "1", "--calls", "10", "--accel", "auto"},
                                           true, std::chrono::seconds(90));
    INFO(result.out << result.err);
    nlohmann::json document = nlohmann::json::parse(result.out, nullptr, false);
    REQUIRE_FALSE(document.is_discarded());
    const nlohmann::json* kvm = nullptr;
    const nlohmann::json* soft = nullptr;
    for (const nlohmann::json& row : document["rows"]) {
        if (row["name"] == "glassvm VM") kvm = &row;
        if (row["name"] == "glassvm VM (soft CPU)") soft = &row;
    }
    REQUIRE(kvm != nullptr);
    REQUIRE(soft != nullptr);
    CHECK((*kvm)["status"] == "unavailable");
    CHECK_THAT((*kvm)["reason"].get<std::string>(), Catch::StartsWith("/dev/kvm does not exist"));
    CHECK_FALSE((*kvm).contains("latency_ms"));  // never measured
    // The soft CPU's row is measured where it starts and says why not where it does not.
    CHECK(((*soft)["status"] == "ok" || (*soft)["status"] == "unavailable"));
}
