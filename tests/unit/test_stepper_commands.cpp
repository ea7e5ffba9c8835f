// Unit tests for the exit stepper's command parser: every command and alias, counts and
// reasons for continue, hex addresses with and without 0x, p: physical addresses, and the
// one-line complaints for bad input.
#include <catch2/catch.hpp>

#include <variant>

#include "error_matchers.hpp"
#include "vmm/debug/stepper_commands.hpp"

using glassvm::parse_command;
using glassvm::StepperCommand;
using glassvm::test::IsBadInput;
namespace command = glassvm::command;

namespace {

template <typename T>
T parsed_as(std::string_view line) {
    StepperCommand parsed = parse_command(line);
    INFO("line: '" << line << "'");
    REQUIRE(std::holds_alternative<T>(parsed));
    return std::get<T>(parsed);
}

}  // namespace

TEST_CASE("stepper commands: an empty line next and n step to the next exit", "[stepper]") {
    for (auto line : {"", "   ", "\t", "next", "n", "  next  "}) parsed_as<command::Next>(line);
}

TEST_CASE("stepper commands: continue alone runs to the end", "[stepper]") {
    for (auto line : {"continue", "c", " c "}) {
        auto parsed = parsed_as<command::Continue>(line);
        CHECK_FALSE(parsed.exits);
        CHECK_FALSE(parsed.reason);
    }
}

TEST_CASE("stepper commands: continue N counts exits in decimal or 0x hex", "[stepper]") {
    CHECK(parsed_as<command::Continue>("continue 3").exits == 3u);
    CHECK(parsed_as<command::Continue>("c 10").exits == 10u);
    CHECK(parsed_as<command::Continue>("c 0x10").exits == 16u);
    CHECK_FALSE(parsed_as<command::Continue>("c 3").reason);
}

TEST_CASE("stepper commands: continue REASON takes exit names in any case", "[stepper]") {
    CHECK(parsed_as<command::Continue>("continue IO").reason == "IO");
    CHECK(parsed_as<command::Continue>("c mmio").reason == "MMIO");
    CHECK(parsed_as<command::Continue>("c Hlt").reason == "HLT");
    CHECK(parsed_as<command::Continue>("c shutdown").reason == "SHUTDOWN");
    CHECK(parsed_as<command::Continue>("c internal_error").reason == "INTERNAL_ERROR");
    CHECK_FALSE(parsed_as<command::Continue>("c IO").exits);
}

TEST_CASE("stepper commands: bad continue arguments are refused", "[stepper]") {
    CHECK_THROWS_MATCHES(parse_command("c 0"), glassvm::Error, IsBadInput("not a positive number"));
    CHECK_THROWS_MATCHES(parse_command("c 3x"), glassvm::Error, IsBadInput("'3x'"));
    CHECK_THROWS_MATCHES(parse_command("c -1"), glassvm::Error, IsBadInput("neither a count nor an exit reason"));
    CHECK_THROWS_MATCHES(parse_command("c IN"), glassvm::Error, IsBadInput("neither a count nor an exit reason"));
    CHECK_THROWS_MATCHES(parse_command("c 99999999999999999999"), glassvm::Error, IsBadInput("not a positive"));
    CHECK_THROWS_MATCHES(parse_command("c IO 3"), glassvm::Error, IsBadInput("at most 1 argument"));
}

TEST_CASE("stepper commands: x takes a hex address with or without 0x and a length", "[stepper]") {
    auto with_prefix = parsed_as<command::Examine>("x 0x100000 16");
    CHECK(with_prefix.address.value == 0x100000);
    CHECK_FALSE(with_prefix.address.physical);
    CHECK(with_prefix.length == 16);

    auto without_prefix = parsed_as<command::Examine>("x 100000");
    CHECK(without_prefix.address.value == 0x100000);
    CHECK(without_prefix.length == glassvm::kDefaultExamineLength);

    CHECK(parsed_as<command::Examine>("x ffffffff80001000 0x20").address.value == 0xffffffff80001000);
    CHECK(parsed_as<command::Examine>("x ffffffff80001000 0x20").length == 32);
    CHECK(parsed_as<command::Examine>("x DEADbeef 4").address.value == 0xdeadbeef);
}

TEST_CASE("stepper commands: p: makes an address guest-physical", "[stepper]") {
    auto physical = parsed_as<command::Examine>("x p:0x100000 16");
    CHECK(physical.address.value == 0x100000);
    CHECK(physical.address.physical);
    CHECK(parsed_as<command::Examine>("x p:2000").address.value == 0x2000);
    CHECK(parsed_as<command::Examine>("x P:2000").address.physical);
    CHECK(parsed_as<command::Disassemble>("dis p:0x100000 2").address->physical);
}

TEST_CASE("stepper commands: bad x arguments are refused", "[stepper]") {
    CHECK_THROWS_MATCHES(parse_command("x"), glassvm::Error, IsBadInput("x needs an address"));
    CHECK_THROWS_MATCHES(parse_command("x zz"), glassvm::Error, IsBadInput("'zz' is not an address"));
    CHECK_THROWS_MATCHES(parse_command("x 0x"), glassvm::Error, IsBadInput("not an address"));
    CHECK_THROWS_MATCHES(parse_command("x p:"), glassvm::Error, IsBadInput("not an address"));
    CHECK_THROWS_MATCHES(parse_command("x 1ffffffffffffffff"), glassvm::Error, IsBadInput("not an address"));
    CHECK_THROWS_MATCHES(parse_command("x 1000 0"), glassvm::Error, IsBadInput("from 1 to 4096"));
    CHECK_THROWS_MATCHES(parse_command("x 1000 4097"), glassvm::Error, IsBadInput("from 1 to 4096"));
    CHECK_THROWS_MATCHES(parse_command("x 1000 ten"), glassvm::Error, IsBadInput("'ten'"));
    CHECK_THROWS_MATCHES(parse_command("x 1000 16 32"), glassvm::Error, IsBadInput("at most 2 arguments"));
}

TEST_CASE("stepper commands: dis defaults to rip and 8 instructions", "[stepper]") {
    auto at_rip = parsed_as<command::Disassemble>("dis");
    CHECK_FALSE(at_rip.address);
    CHECK(at_rip.count == glassvm::kDefaultDisassembleCount);

    auto given = parsed_as<command::Disassemble>("dis 0x1015f0 4");
    REQUIRE(given.address);
    CHECK(given.address->value == 0x1015f0);
    CHECK_FALSE(given.address->physical);
    CHECK(given.count == 4);
    CHECK_THROWS_MATCHES(parse_command("dis 1000 65"), glassvm::Error, IsBadInput("from 1 to 64"));
}

TEST_CASE("stepper commands: regs stats help and quit with their aliases", "[stepper]") {
    parsed_as<command::Registers>("regs");
    parsed_as<command::Stats>("stats");
    for (auto line : {"help", "h", "?"}) parsed_as<command::Help>(line);
    for (auto line : {"quit", "q"}) parsed_as<command::Quit>(line);
    CHECK_THROWS_MATCHES(parse_command("regs all"), glassvm::Error, IsBadInput("'regs' takes no arguments"));
    CHECK_THROWS_MATCHES(parse_command("quit now"), glassvm::Error, IsBadInput("'quit' takes no arguments"));
}

TEST_CASE("stepper commands: an unknown command names itself and points at help", "[stepper]") {
    CHECK_THROWS_MATCHES(parse_command("bogus"), glassvm::Error, IsBadInput("unknown command 'bogus'"));
    CHECK_THROWS_MATCHES(parse_command("NEXT"), glassvm::Error, IsBadInput("'help' lists the commands"));
    CHECK_THROWS_MATCHES(parse_command("stepi 3"), glassvm::Error, IsBadInput("unknown command 'stepi'"));
}

TEST_CASE("stepper commands: the help text lists every command", "[stepper]") {
    std::string help(glassvm::help_text());
    for (auto word :
         {"next", "continue N", "continue REASON", "regs", "x ADDR", "dis", "stats", "help", "quit", "p:ADDR"})
        CHECK_THAT(help, Catch::Contains(word));
}
