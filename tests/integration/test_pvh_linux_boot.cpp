// The PVH and Linux boot paths on real /dev/kvm, fast: the bundled guest through its PVH entry
// (banner, the probe as init, a working clock from the CPUID timing leaf), a crafted "bzImage"
// whose 64-bit entry checks boot_params, the refusals, and how an emulation failure is named.
#include <catch2/catch.hpp>

#include <fstream>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "process.hpp"

using namespace glassvm::test;

namespace {

std::string glassvm_binary() { return build_path("glassvm"); }
std::string linux_stub() { return build_path("tests/guests/linux_stub.bin"); }

}  // namespace

TEST_CASE("pvh: the bundled guest boots through its PVH entry to the same banner", "[kvm][pvh]") {
    require_kvm();
    auto result =
        run_process({glassvm_binary(), "run", "--boot", "pvh", "--cmdline", "hello through pvh", "--timeout", "30"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 0);
    CHECK_THAT(result.out, Catch::Contains("glassvm-guest " GLASSVM_VERSION));
    CHECK_THAT(result.out, Catch::Contains("cmdline: hello through pvh"));
}

TEST_CASE("pvh: the probe runs as init, the first module, and its clock works", "[kvm][pvh]") {
    require_kvm();
    auto result = run_process({glassvm_binary(), "run", "--boot", "pvh", "--init", build_path("workloads/probe"),
                               "--cmdline", "hostname=pvh-guest -- 20", "--timeout", "30"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    CHECK(value_of(result.out, "sysname") == "glassvm");
    CHECK(value_of(result.out, "nodename") == "pvh-guest");
    CHECK(value_of(result.out, "pid") == "1");
    CHECK(value_of(result.out, "getppid_calls") == "20");
    std::string cost = value_of(result.out, "getppid_ns");  // "unavailable" without a TSC frequency
    REQUIRE_FALSE(cost.empty());
    CHECK(cost.find_first_not_of("0123456789") == std::string::npos);
}

TEST_CASE("pvh: a kernel without the PVH note is refused", "[pvh]") {
    auto result = run_process({glassvm_binary(), "run", "--boot", "pvh", build_path("tests/guests/halt.elf")});
    CHECK(result.exit_status == glassvm::kExitUsage);
    CHECK_THAT(result.err, Catch::Contains("without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"));
}

TEST_CASE("linux: a bzImage is entered at its 64-bit entry with boot_params, command line and e820", "[kvm][linux]") {
    require_kvm();
    auto result = run_process({glassvm_binary(), "run", "--boot", "linux", "--kernel", linux_stub(), "--mem", "64M",
                               "--cmdline", "console=ttyS0 stub=yes", "--timeout", "30"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 3);  // 90: wrong segments, 91: wrong boot_params; 3 = e820_entries
    CHECK_THAT(result.out, Catch::Contains("console=ttyS0 stub=yes"));
}

TEST_CASE("linux: the initrd is placed where boot_params says", "[kvm][linux]") {
    require_kvm();
    std::string initrd = build_path("tests/linux_stub_initrd.img");
    std::ofstream(initrd, std::ios::binary) << std::string(1, char(0x20)) << std::string(5000, 'x');
    auto result = run_process(
        {glassvm_binary(), "run", "--boot", "linux", "--kernel", linux_stub(), "--initrd", initrd, "--timeout", "30"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 3 + 0x20);  // e820_entries + the initrd's first byte
}

TEST_CASE("linux: the ELF vmlinux path boots a PVH kernel (the bundled guest)", "[kvm][linux]") {
    require_kvm();
    auto result = run_process({glassvm_binary(), "run", "--boot", "linux", "--kernel",
                               build_path("guest/glassvm-guest.elf"), "--cmdline", "vmlinux path", "--timeout", "30"});
    INFO(result.out << result.err);
    CHECK(result.exit_status == 0);
    CHECK_THAT(result.out, Catch::Contains("cmdline: vmlinux path"));
}

TEST_CASE("linux: images glassvm cannot boot are refused saying why", "[linux]") {
    auto no_note =
        run_process({glassvm_binary(), "run", "--boot", "linux", "--kernel", build_path("tests/guests/halt.elf")});
    CHECK(no_note.exit_status == glassvm::kExitUsage);
    CHECK_THAT(no_note.err, Catch::Contains("glassvm boots an ELF vmlinux only through PVH"));

    std::string text = build_path("tests/not_a_kernel.txt");
    std::ofstream(text) << "hello";
    auto junk = run_process({glassvm_binary(), "run", "--boot", "linux", "--kernel", text});
    CHECK_THAT(junk.err, Catch::Contains("neither a bzImage"));

    auto small = run_process({glassvm_binary(), "run", "--boot", "linux", "--kernel", linux_stub(), "--mem", "16M"});
    CHECK(small.exit_status == glassvm::kExitUsage);
    CHECK_THAT(small.err, Catch::Contains("needs RAM up to 0x1100000"));

    auto init = run_process({glassvm_binary(), "run", "--boot", "linux", "--kernel", linux_stub(), "--init", text});
    CHECK_THAT(init.err, Catch::Contains("give Linux an initial RAM disk with --initrd"));

    auto no_kernel = run_process({glassvm_binary(), "run", "--boot", "linux"});
    CHECK_THAT(no_kernel.err, Catch::Contains("--boot linux: give the kernel to boot with --kernel"));

    std::string big = build_path("tests/linux_stub_big_initrd.img");
    std::ofstream(big, std::ios::binary) << std::string(60 << 20, 'x');
    auto too_big = run_process({glassvm_binary(), "run", "--boot", "linux", "--kernel", linux_stub(), "--initrd", big});
    CHECK(too_big.exit_status == glassvm::kExitUsage);
    CHECK_THAT(too_big.err, Catch::Contains("does not fit in guest RAM"));
}

TEST_CASE("cpuid: --cpuid is validated before the VM starts", "[cpuid]") {
    auto result = run_process({glassvm_binary(), "run", "--cpuid", "-cx16,-nosuch"});
    CHECK(result.exit_status == glassvm::kExitUsage);
    CHECK_THAT(result.err, Catch::Contains("'-nosuch' is not a feature glassvm knows by name"));
}

TEST_CASE("an emulation failure names the instruction and its rip", "[kvm][endings]") {
    require_kvm();
    auto result =
        run_process({glassvm_binary(), "run", build_path("tests/guests/emulation_failure.elf"), "--timeout", "30"});
    INFO(result.out << result.err);
    if (result.exit_status == 7) {
        WARN("this host's KVM runs cmpxchg16b in ring 0 (hardware virtualisation): nothing to name");
        return;
    }
    CHECK(result.exit_status == glassvm::kExitEmulationFailure);
    CHECK_THAT(result.err, Catch::Contains("emulation failure at rip 0x"));
    CHECK_THAT(result.err, Catch::Contains("cmpxchg16b (%rsp)"));
}
