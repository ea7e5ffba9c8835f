// Unit tests for the command line: parse_size, the `run` subcommand's options (real CLI11
// parsing) and their conversion to a MachineConfig, including the BadInput checks.
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "error_matchers.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "app/run_command.hpp"
#include "base/error.hpp"
#include "base/size.hpp"

using glassvm::ErrorKind;
using glassvm::parse_size;
using glassvm::RunOptions;

namespace {

using glassvm::test::IsBadInput;

constexpr uint64_t kKiB = 1ull << 10, kMiB = 1ull << 20, kGiB = 1ull << 30, kTiB = 1ull << 40;

// Parses `glassvm ARGS...` with the run subcommand registered, as main() does.
struct Command {
    CLI::App app{"glassvm test", "glassvm"};
    RunOptions options;
    CLI::App* run = glassvm::add_run_command(app, options);

    void parse(std::vector<std::string> args) {
        std::reverse(args.begin(), args.end());  // CLI11's vector overload takes arguments last-first
        app.parse(args);
    }
};

const std::filesystem::path kBundledGuest = "/opt/glassvm/guest/glassvm-guest.elf";

}  // namespace

TEST_CASE("cli: parse_size reads plain bytes and binary suffixes", "[cli]") {
    CHECK(parse_size("4096", "--mem") == 4096);
    CHECK(parse_size("0", "--mem") == 0);
    CHECK(parse_size("512K", "--mem") == 512 * kKiB);
    CHECK(parse_size("64M", "--mem") == 64 * kMiB);
    CHECK(parse_size("64m", "--mem") == 64 * kMiB);
    CHECK(parse_size("64MiB", "--mem") == 64 * kMiB);
    CHECK(parse_size("64mib", "--mem") == 64 * kMiB);
    CHECK(parse_size("64MB", "--mem") == 64 * kMiB);
    CHECK(parse_size("1G", "--mem") == kGiB);
    CHECK(parse_size("3g", "--mem") == 3 * kGiB);
    CHECK(parse_size("2T", "--mem") == 2 * kTiB);
    CHECK(parse_size("100B", "--mem") == 100);
    // The largest value each suffix allows.
    CHECK(parse_size("16777215T", "--mem") == 16777215 * kTiB);
    CHECK(parse_size("18446744073709551615", "--mem") == UINT64_MAX);
}

TEST_CASE("cli: parse_size rejects what is not a size, naming the option", "[cli]") {
    for (const char* text : {"", "abc", "M", "-5", "+5", " 64M"}) {
        INFO("'" << text << "'");
        REQUIRE_THROWS_MATCHES(parse_size(text, "--mem"), glassvm::Error,
                               IsBadInput(std::string("--mem: '") + text + "' is not a size"));
    }
}

TEST_CASE("cli: parse_size rejects unknown units", "[cli]") {
    for (const char* text : {"12Q", "1.5G", "64 M", "64MiBx", "5KM", "7P", "0x10", "64iB", "64BB", "64MBB"}) {
        INFO("'" << text << "'");
        REQUIRE_THROWS_MATCHES(parse_size(text, "--mem"), glassvm::Error, IsBadInput("--mem: unknown unit in '"));
    }
}

TEST_CASE("cli: parse_size rejects sizes that do not fit in 64 bits", "[cli]") {
    REQUIRE_THROWS_MATCHES(parse_size("99999999999T", "--mem"), glassvm::Error,
                           IsBadInput("--mem: '99999999999T' is too large"));
    REQUIRE_THROWS_MATCHES(parse_size("16777216T", "--mem"), glassvm::Error, IsBadInput("is too large"));
    REQUIRE_THROWS_MATCHES(parse_size("17179869184G", "--mem"), glassvm::Error, IsBadInput("is too large"));
    // Too large for the number itself.
    REQUIRE_THROWS_MATCHES(parse_size("18446744073709551616", "--mem"), glassvm::Error, IsBadInput("--mem: "));
}

TEST_CASE("cli: run options are parsed into RunOptions", "[cli]") {
    Command command;
    command.parse({"run", "kernel.elf", "--mem", "16M", "--cpus", "1", "--cmdline", "a b", "--init", "probe",
                   "--timeout", "1.5", "-v"});
    CHECK(command.run->parsed());
    const RunOptions& options = command.options;
    CHECK(options.kernel == "kernel.elf");
    CHECK(options.memory == "16M");
    CHECK(options.cpus == 1);
    CHECK(options.command_line == "a b");
    CHECK(options.init == "probe");
    CHECK(options.timeout_seconds == 1.5);
    CHECK(options.verbose);
}

TEST_CASE("cli: run with no options keeps the defaults", "[cli]") {
    Command command;
    command.parse({"run"});
    CHECK(command.run->parsed());
    CHECK(command.options.kernel.empty());
    CHECK(command.options.memory == "64M");
    CHECK(command.options.cpus == 1);
    CHECK(command.options.command_line.empty());
    CHECK(command.options.init.empty());
    CHECK(command.options.timeout_seconds == 0);
    CHECK_FALSE(command.options.verbose);
}

TEST_CASE("cli: --verbose and --opt=value spellings", "[cli]") {
    Command command;
    command.parse({"run", "--verbose", "--mem=32M", "--cmdline=hostname=box1 -- 100"});
    CHECK(command.options.verbose);
    CHECK(command.options.memory == "32M");
    CHECK(command.options.command_line == "hostname=box1 -- 100");
}

TEST_CASE("cli: a negative or non-numeric --timeout is a parse error", "[cli]") {
    for (std::vector<std::string> args :
         {std::vector<std::string>{"run", "--timeout=-1"}, std::vector<std::string>{"run", "--timeout", "-0.5"},
          std::vector<std::string>{"run", "--timeout", "soon"}, std::vector<std::string>{"run", "--cpus", "two"}}) {
        INFO(args[1] << " " << (args.size() > 2 ? args[2] : ""));
        Command command;
        REQUIRE_THROWS_AS(command.parse(args), CLI::ParseError);
    }
}

TEST_CASE("cli: to_machine_config uses the bundled guest when no kernel is named", "[cli]") {
    RunOptions options;  // the defaults
    glassvm::MachineConfig config = glassvm::to_machine_config(options, kBundledGuest);
    CHECK(config.kernel_path == kBundledGuest.string());
    CHECK_FALSE(config.init_path.has_value());
    CHECK(config.memory_bytes == 64 * kMiB);
    CHECK(config.cpus == 1);
    CHECK(config.command_line.empty());
    CHECK_FALSE(config.timeout.has_value());
    CHECK_FALSE(config.verbose);
}

TEST_CASE("cli: to_machine_config converts every parsed option", "[cli]") {
    Command command;
    command.parse({"run", "kernel.elf", "--mem", "16M", "--cpus", "1", "--cmdline", "a b", "--init", "probe",
                   "--timeout", "1.5", "-v"});
    glassvm::MachineConfig config = glassvm::to_machine_config(command.options, kBundledGuest);
    CHECK(config.kernel_path == "kernel.elf");
    REQUIRE(config.init_path.has_value());
    CHECK(*config.init_path == "probe");
    CHECK(config.memory_bytes == 16 * kMiB);
    CHECK(config.cpus == 1);
    CHECK(config.command_line == "a b");
    REQUIRE(config.timeout.has_value());
    CHECK(*config.timeout == std::chrono::milliseconds(1500));
    CHECK(config.verbose);
}

TEST_CASE("cli: to_machine_config rounds the timeout to milliseconds", "[cli]") {
    RunOptions options;
    options.timeout_seconds = 0.0126;
    auto config = glassvm::to_machine_config(options, kBundledGuest);
    REQUIRE(config.timeout.has_value());
    CHECK(*config.timeout == std::chrono::milliseconds(13));
}

TEST_CASE("cli: timeouts that are not a sane number of seconds are rejected", "[cli]") {
    for (double seconds : {std::nan(""), 1e10, 1e17, -1.0, std::numeric_limits<double>::infinity()}) {
        RunOptions options;
        options.timeout_seconds = seconds;
        INFO(seconds);
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--timeout: "));
    }
    RunOptions tiny;
    tiny.timeout_seconds = 0.0001;  // rounds up to 1 ms rather than "already expired"
    CHECK(*glassvm::to_machine_config(tiny, kBundledGuest).timeout == std::chrono::milliseconds(1));
}

TEST_CASE("cli: to_machine_config rejects unusable values with BadInput", "[cli]") {
    RunOptions options;
    SECTION("--mem 0") {
        options.memory = "0";
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--mem: 0 bytes is outside what glassvm supports"));
    }
    SECTION("--mem below the minimum") {
        options.memory = "2M";
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--mem: 2 MiB is outside"));
    }
    SECTION("--mem 1T, beyond the MMIO hole") {
        options.memory = "1T";
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--mem: 1 TiB is outside"));
    }
    SECTION("--mem one byte over 3 GiB") {
        options.memory = std::to_string(3 * kGiB + 1);
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("is outside what glassvm supports"));
    }
    SECTION("--mem not a whole number of pages") {
        options.memory = std::to_string(16 * kMiB + 4097);
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--mem: 16781313 bytes is not a whole number of 4 KiB pages"));
    }
    SECTION("--mem 4097 (tiny and not a page multiple)") {
        options.memory = "4097";
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--mem: "));
    }
    SECTION("--mem that is not a size") {
        options.memory = "lots";
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--mem: 'lots' is not a size"));
    }
    SECTION("--cpus 0") {
        options.cpus = 0;
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--cpus: 0 is not supported"));
    }
    SECTION("--cpus 1000") {
        options.cpus = 1000;
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--cpus: 1000 is not supported"));
    }
    SECTION("--cpus -1") {
        options.cpus = -1;
        REQUIRE_THROWS_MATCHES(glassvm::to_machine_config(options, kBundledGuest), glassvm::Error,
                               IsBadInput("--cpus: -1 is not supported"));
    }
}

TEST_CASE("cli: the smallest and largest memory sizes are accepted", "[cli]") {
    RunOptions options;
    options.memory = "4M";
    CHECK(glassvm::to_machine_config(options, kBundledGuest).memory_bytes == 4 * kMiB);
    options.memory = "3G";
    CHECK(glassvm::to_machine_config(options, kBundledGuest).memory_bytes == 3 * kGiB);
}

TEST_CASE("cli: --cpuid is parsed into the hidden bits, --boot linux needs --kernel", "[cli]") {
    Command command;
    command.parse(
        {"run", "--boot", "linux", "--kernel", "bzImage", "--initrd", "initrd.img", "--cpuid=-cx16,1.ecx:26=0"});
    glassvm::MachineConfig config = glassvm::to_machine_config(command.options, kBundledGuest);
    CHECK(config.boot == glassvm::BootPath::Linux);
    CHECK(config.kernel_path == "bzImage");
    CHECK(config.initrd_path == "initrd.img");
    CHECK(config.cpuid_edits.hidden_bits.size() == 2);

    Command no_kernel;
    no_kernel.parse({"run", "--boot", "linux"});
    CHECK_THROWS_MATCHES(glassvm::to_machine_config(no_kernel.options, kBundledGuest), glassvm::Error,
                         IsBadInput("--boot linux: give the kernel to boot with --kernel"));
    Command bad_cpuid;
    bad_cpuid.parse({"run", "--cpuid", "+avx"});
    CHECK_THROWS_MATCHES(glassvm::to_machine_config(bad_cpuid.options, kBundledGuest), glassvm::Error,
                         IsBadInput("--cpuid: '+avx' asks to add a feature"));
}
