// Unit tests for `--firmware` and `--boot firmware` on the command line: the bundled ROM by
// default, a named ROM, and --firmware without the firmware path.
#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "app/run_command.hpp"
#include "error_matchers.hpp"

using glassvm::test::IsBadInput;

namespace {

glassvm::MachineConfig parse_run(std::vector<std::string> args) {
    CLI::App app{"glassvm test", "glassvm"};
    glassvm::RunOptions options;
    glassvm::add_run_command(app, options);
    std::reverse(args.begin(), args.end());  // CLI11's vector overload takes arguments last-first
    app.parse(args);
    return glassvm::to_machine_config(options, "/opt/glassvm/guest/glassvm-guest.elf");
}

}  // namespace

TEST_CASE("cli: --boot firmware uses the bundled ROM next to the binary", "[cli][firmware]") {
    glassvm::MachineConfig config = parse_run({"run", "--boot", "firmware"});
    CHECK(config.boot == glassvm::BootPath::Firmware);
    CHECK(config.firmware_path == glassvm::find_bundled_firmware().string());
    CHECK_THAT(config.firmware_path, Catch::EndsWith("glassvm-firmware.bin"));
}

TEST_CASE("cli: --firmware names another ROM", "[cli][firmware]") {
    glassvm::MachineConfig config = parse_run({"run", "--boot", "firmware", "--firmware", "my-rom.bin"});
    CHECK(config.firmware_path == "my-rom.bin");
}

TEST_CASE("cli: --firmware without --boot firmware is bad input", "[cli][firmware]") {
    CHECK_THROWS_MATCHES(parse_run({"run", "--firmware", "my-rom.bin"}), glassvm::Error,
                         IsBadInput("--firmware: a boot ROM is only used with --boot firmware"));
    CHECK(parse_run({"run"}).firmware_path.empty());
}
