// Booting the real guest kernel on real /dev/kvm: the banner, the probe as init answering with
// the guest's own kernel, the same probe on the host answering with the host's.
#include <sys/utsname.h>

#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include <glassvm/abi.hpp>

#include "process.hpp"

using namespace glassvm::test;

namespace {

std::string glassvm_binary() { return build_path("glassvm"); }
std::string probe() { return build_path("workloads/probe"); }

}  // namespace

TEST_CASE("the bundled guest boots and prints its banner", "[kvm][boot]") {
    require_kvm();
    auto result = run_process({glassvm_binary(), "run", "--cmdline", "hello from the test", "--timeout", "30"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 0);
    CHECK_THAT(result.out, Catch::Contains("glassvm-guest " GLASSVM_VERSION));
    CHECK_THAT(result.out, Catch::Contains("hello from the test"));
    CHECK_THAT(result.out, Catch::Contains("no init program"));
}

TEST_CASE("the probe as init sees the guest kernel and pid 1", "[kvm][boot]") {
    require_kvm();
    auto result = run_process(
        {glassvm_binary(), "run", "--init", probe(), "--cmdline", "hostname=vm-under-test -- 50", "--timeout", "30"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    CHECK(value_of(result.out, "sysname") == "glassvm");
    CHECK(value_of(result.out, "release") == GLASSVM_VERSION);
    CHECK(value_of(result.out, "nodename") == "vm-under-test");
    CHECK(value_of(result.out, "machine") == "x86_64");
    CHECK(value_of(result.out, "pid") == "1");
    CHECK(value_of(result.out, "ppid") == "0");
    CHECK(value_of(result.out, "getppid_calls") == "50");
    std::string cost = value_of(result.out, "getppid_ns");
    REQUIRE_FALSE(cost.empty());
    CHECK(std::stoll(cost) > 0);
}

TEST_CASE("the same probe on the host sees the host's kernel", "[boot]") {
    utsname host{};
    REQUIRE(::uname(&host) == 0);
    auto result = run_process({probe(), "50"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    CHECK(value_of(result.out, "sysname") == host.sysname);
    CHECK(value_of(result.out, "release") == host.release);
    CHECK(value_of(result.out, "nodename") == host.nodename);
    CHECK(value_of(result.out, "pid") != "1");
    CHECK(std::stoll(value_of(result.out, "getppid_ns")) > 0);
}

TEST_CASE("init's exit status becomes glassvm's exit status", "[kvm][boot]") {
    require_kvm();
    auto result =
        run_process({glassvm_binary(), "run", "--init", build_path("tests/guests/init_exit.elf"), "--timeout", "30"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 33);
}

TEST_CASE("a faulting init is killed with a signal status and the kernel survives", "[kvm][boot]") {
    require_kvm();
    auto segv =
        run_process({glassvm_binary(), "run", "--init", build_path("tests/guests/init_segv.elf"), "--timeout", "30"});
    INFO(segv.out << segv.err);
    CHECK(segv.exit_status == glassvm::abi::kStatusSignalBase + glassvm::abi::kSignalSegv);
    CHECK_THAT(segv.out, Catch::Contains("SIGSEGV"));

    auto ill =
        run_process({glassvm_binary(), "run", "--init", build_path("tests/guests/init_ud.elf"), "--timeout", "30"});
    INFO(ill.out << ill.err);
    CHECK(ill.exit_status == glassvm::abi::kStatusSignalBase + glassvm::abi::kSignalIll);
    CHECK_THAT(ill.out, Catch::Contains("SIGILL"));
}

TEST_CASE("serial input reaches the guest UART without blocking it", "[kvm][boot]") {
    require_kvm();
    // stdin is a pipe holding a few bytes and then EOF; the guest must still boot and exit.
    auto result = run_process({glassvm_binary(), "run", "--init", probe(), "--cmdline", "-- 10", "--timeout", "30"},
                              "typed input\n");
    INFO(result.out << result.err);
    CHECK(result.exit_status == 0);
    CHECK(value_of(result.out, "sysname") == "glassvm");
}

// The bundled guest is found next to the glassvm file itself (base/subprocess.hpp, own_executable), however
// glassvm was started: by a path relative to the current directory, or through a symbolic link
// in a directory that has no guest next to it.
TEST_CASE("glassvm finds its bundled guest when started by a relative path or through a symlink", "[kvm][boot]") {
    require_kvm();
    std::filesystem::path binary = glassvm_binary();
    std::string relative = "cd '" + binary.parent_path().string() + "' && exec ./glassvm run --timeout 30";
    auto by_relative_path = run_process({"/bin/sh", "-c", relative});
    INFO(by_relative_path.out << by_relative_path.err);
    CHECK(by_relative_path.exit_status == 0);
    CHECK_THAT(by_relative_path.out, Catch::Contains("glassvm-guest " GLASSVM_VERSION));

    char pattern[] = "/tmp/glassvm-link-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    std::filesystem::path directory = pattern;
    std::filesystem::create_symlink(binary, directory / "glassvm");
    auto through_link = run_process({(directory / "glassvm").string(), "run", "--timeout", "30"});
    std::filesystem::remove_all(directory);
    INFO(through_link.out << through_link.err);
    CHECK(through_link.exit_status == 0);
    CHECK_THAT(through_link.out, Catch::Contains("glassvm-guest " GLASSVM_VERSION));
}
