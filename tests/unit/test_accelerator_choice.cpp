// Choosing the accelerator without booting anything: `--accel` and GLASSVM_ACCEL parsed and
// resolved (the flag first, then the variable, then auto), bogus values refused as bad input
// naming where they came from, `run --accel` reaching the MachineConfig, and auto opening what
// the backends' own report says it picks.
#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "app/run_command.hpp"
#include "base/error.hpp"
#include "error_matchers.hpp"
#include "vmm/run/accelerator_choice.hpp"

using glassvm::AcceleratorChoice;
using glassvm::parse_accelerator_choice;
using glassvm::resolve_accelerator_choice;
using glassvm::test::IsBadInput;

TEST_CASE("accel: auto, kvm and soft parse and name themselves", "[accel]") {
    for (AcceleratorChoice choice : {AcceleratorChoice::Auto, AcceleratorChoice::Kvm, AcceleratorChoice::Soft})
        CHECK(parse_accelerator_choice(glassvm::to_string(choice)) == choice);
    CHECK(glassvm::to_string(AcceleratorChoice::Auto) == "auto");
    CHECK(glassvm::to_string(AcceleratorChoice::Kvm) == "kvm");
    CHECK(glassvm::to_string(AcceleratorChoice::Soft) == "soft");
}

TEST_CASE("accel: anything else is bad input that names its source and lists the three", "[accel]") {
    for (const char* bogus : {"bogus", "KVM", "Soft", "", " kvm", "kvm,soft", "qemu"}) {
        INFO("'" << bogus << "'");
        CHECK_THROWS_MATCHES(
            parse_accelerator_choice(bogus), glassvm::Error,
            IsBadInput(fmt::format("--accel: '{}' is not an accelerator (choose auto, kvm or soft)", bogus)));
    }
    CHECK_THROWS_MATCHES(parse_accelerator_choice("x", "accel"), glassvm::Error,
                         IsBadInput("accel: 'x' is not an accelerator"));
}

TEST_CASE("accel: the flag wins over GLASSVM_ACCEL, which wins over auto", "[accel]") {
    CHECK(resolve_accelerator_choice("", nullptr) == AcceleratorChoice::Auto);
    CHECK(resolve_accelerator_choice("", "") == AcceleratorChoice::Auto);  // set but empty: as unset
    CHECK(resolve_accelerator_choice("", "soft") == AcceleratorChoice::Soft);
    CHECK(resolve_accelerator_choice("", "kvm") == AcceleratorChoice::Kvm);
    CHECK(resolve_accelerator_choice("kvm", "soft") == AcceleratorChoice::Kvm);
    CHECK(resolve_accelerator_choice("auto", "soft") == AcceleratorChoice::Auto);
    CHECK(resolve_accelerator_choice("soft", nullptr) == AcceleratorChoice::Soft);
    // A flag given makes the variable irrelevant, even a bogus one.
    CHECK(resolve_accelerator_choice("soft", "bogus") == AcceleratorChoice::Soft);
}

TEST_CASE("accel: a bogus flag or GLASSVM_ACCEL is refused naming which", "[accel]") {
    CHECK_THROWS_MATCHES(resolve_accelerator_choice("bogus", "kvm"), glassvm::Error,
                         IsBadInput("--accel: 'bogus' is not an accelerator (choose auto, kvm or soft)"));
    CHECK_THROWS_MATCHES(resolve_accelerator_choice("", "bogus"), glassvm::Error,
                         IsBadInput("GLASSVM_ACCEL: 'bogus' is not an accelerator (choose auto, kvm or soft)"));
}

TEST_CASE("accel: run --accel reaches the machine configuration, a bogus one is bad input", "[accel][cli]") {
    for (AcceleratorChoice choice : {AcceleratorChoice::Auto, AcceleratorChoice::Kvm, AcceleratorChoice::Soft}) {
        CLI::App app{"glassvm test", "glassvm"};
        glassvm::RunOptions options;
        glassvm::add_run_command(app, options);
        std::vector<std::string> args = {"run", "--accel", std::string(glassvm::to_string(choice))};
        std::reverse(args.begin(), args.end());  // CLI11's vector overload takes arguments last-first
        app.parse(args);
        CHECK(options.accel == glassvm::to_string(choice));
        CHECK(glassvm::to_machine_config(options, "/opt/glassvm/guest/glassvm-guest.elf").accelerator == choice);
    }
    glassvm::RunOptions bogus;
    bogus.accel = "hyperv";
    CHECK_THROWS_MATCHES(glassvm::to_machine_config(bogus, "/opt/glassvm/guest/glassvm-guest.elf"), glassvm::Error,
                         IsBadInput("--accel: 'hyperv' is not an accelerator"));
}

TEST_CASE("accel: auto opens what the report says it picks, and says why", "[accel]") {
    glassvm::AcceleratorReport report = glassvm::probe_accelerators();
    CHECK(report.kvm.name == "KVM");
    CHECK(report.soft.name == "soft CPU");
    CHECK_FALSE(report.kvm.detail.empty());
    CHECK_FALSE(report.soft.detail.empty());
    std::vector<std::string> lines = glassvm::describe(report);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].starts_with(report.kvm.usable ? "KVM: usable (" : "KVM: not usable: "));
    CHECK(lines[1].starts_with(report.soft.usable ? "soft CPU: usable (" : "soft CPU: not usable: "));
    CHECK(lines[2].starts_with("--accel auto "));
    for (const std::string& line : lines) CHECK(line.find('\n') == std::string::npos);

    switch (report.auto_picks) {
        case AcceleratorChoice::Kvm: {
            REQUIRE(report.kvm.usable);
            glassvm::OpenedAccelerator opened = glassvm::open_accelerator(AcceleratorChoice::Auto);
            CHECK(opened.accelerator->name() == "KVM");
            CHECK_FALSE(opened.fell_back);
            CHECK(opened.reason == "--accel auto: /dev/kvm works");
            CHECK(lines[2] == "--accel auto picks KVM");
            break;
        }
        case AcceleratorChoice::Soft: {
            REQUIRE_FALSE(report.kvm.usable);
            glassvm::OpenedAccelerator opened = glassvm::open_accelerator(AcceleratorChoice::Auto);
            CHECK(opened.accelerator->name() == "soft CPU");
            CHECK(opened.fell_back);
            CHECK(opened.reason.starts_with("no usable /dev/kvm ("));
            CHECK(opened.reason.ends_with("): running on the soft CPU"));
            break;
        }
        case AcceleratorChoice::Auto:  // neither opens: auto's error carries both reasons
            CHECK_FALSE(report.kvm.usable);
            CHECK_FALSE(report.soft.usable);
            CHECK_THROWS_WITH(glassvm::open_accelerator(AcceleratorChoice::Auto),
                              Catch::Contains("The soft CPU did not start either: "));
            CHECK(lines[2] == "--accel auto has nothing to pick: neither backend opens here");
            break;
    }
}

TEST_CASE("accel: --accel kvm where KVM does not open says that --accel soft runs without it", "[accel]") {
    glassvm::AcceleratorReport report = glassvm::probe_accelerators();
    if (report.kvm.usable) {
        CHECK(glassvm::open_accelerator(AcceleratorChoice::Kvm).reason == "--accel kvm");
        return;
    }
    try {
        glassvm::open_accelerator(AcceleratorChoice::Kvm);
        FAIL("--accel kvm opened although the report says KVM does not");
    } catch (const glassvm::Error& error) {
        CHECK(error.kind() != glassvm::ErrorKind::BadInput);  // the status glassvm always gave: 120
        CHECK_THAT(error.what(), Catch::StartsWith(report.kvm.detail));
        CHECK_THAT(error.what(), Catch::Contains("(`--accel soft`) is meant for machines without KVM, but cannot run guests yet"));
    }
}
