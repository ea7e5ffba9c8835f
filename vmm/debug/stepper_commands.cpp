// Parsing the exit stepper's commands: split the line into words, match the verb, check and
// convert its arguments. Every complaint is one line, thrown as a BadInput Error.
#include "vmm/debug/stepper_commands.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "base/error.hpp"
#include "vmm/accel/vm_exit.hpp"

namespace glassvm {

namespace {

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    size_t at = 0;
    while (at < line.size()) {
        while (at < line.size() && std::isspace(static_cast<unsigned char>(line[at]))) ++at;
        size_t end = at;
        while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
        if (end > at) words.push_back(line.substr(at, end - at));
        at = end;
    }
    return words;
}

std::string upper(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return result;
}

bool has_hex_prefix(std::string_view text) {
    return text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
}

// The digits of `text` in `base`, all of them, fitting in 64 bits; nullopt otherwise.
std::optional<uint64_t> parse_digits(std::string_view text, int base) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

GuestAddress parse_address(std::string_view text) {
    bool physical = text.starts_with("p:") || text.starts_with("P:");
    std::string_view digits = physical ? text.substr(2) : text;
    if (has_hex_prefix(digits)) digits.remove_prefix(2);
    auto value = parse_digits(digits, 16);
    if (!value) throw_bad_input("'{}' is not an address (hex, e.g. 0x100000 or p:100000)", text);
    return {*value, physical};
}

uint64_t parse_count(std::string_view text, std::string_view what, uint64_t maximum) {
    auto value = has_hex_prefix(text) ? parse_digits(text.substr(2), 16) : parse_digits(text, 10);
    if (!value || *value == 0 || *value > maximum) {
        if (maximum == UINT64_MAX) throw_bad_input("{}: '{}' is not a positive number", what, text);
        throw_bad_input("{}: '{}' is not a number from 1 to {}", what, text, maximum);
    }
    return *value;
}

// The names `continue REASON` accepts: every name exit_name() can give.
bool is_exit_reason(const std::string& name) {
    for (std::string_view known : known_exit_names())
        if (known == name) return true;
    return false;
}

void expect_arguments(const std::vector<std::string_view>& words, size_t most) {
    if (words.size() - 1 > most)
        throw_bad_input("'{}' takes {} argument{}", words[0], most == 0 ? "no" : fmt::format("at most {}", most),
                        most == 1 ? "" : "s");
}

command::Continue parse_continue(const std::vector<std::string_view>& words) {
    expect_arguments(words, 1);
    if (words.size() == 1) return {};
    std::string_view argument = words[1];
    if (std::isdigit(static_cast<unsigned char>(argument[0])))
        return {.exits = parse_count(argument, "continue", UINT64_MAX), .reason = {}};
    std::string reason = upper(argument);
    if (!is_exit_reason(reason))
        throw_bad_input("continue: '{}' is neither a count nor an exit reason (IO, MMIO, HLT, SHUTDOWN, …)", argument);
    return {.exits = {}, .reason = reason};
}

command::Examine parse_examine(const std::vector<std::string_view>& words) {
    expect_arguments(words, 2);
    if (words.size() < 2) throw_bad_input("x needs an address: x ADDR [LEN]");
    uint64_t length = words.size() > 2 ? parse_count(words[2], "x LEN", kMaxExamineLength) : kDefaultExamineLength;
    return {parse_address(words[1]), length};
}

command::Disassemble parse_disassemble(const std::vector<std::string_view>& words) {
    expect_arguments(words, 2);
    std::optional<GuestAddress> address;
    if (words.size() > 1) address = parse_address(words[1]);
    uint64_t count = words.size() > 2 ? parse_count(words[2], "dis N", kMaxDisassembleCount) : kDefaultDisassembleCount;
    return {address, count};
}

template <typename Command>
Command without_arguments(const std::vector<std::string_view>& words) {
    expect_arguments(words, 0);
    return Command{};
}

}  // namespace

StepperCommand parse_command(std::string_view line) {
    std::vector<std::string_view> words = split_words(line);
    if (words.empty()) return command::Next{};
    std::string_view verb = words[0];
    if (verb == "next" || verb == "n") return without_arguments<command::Next>(words);
    if (verb == "continue" || verb == "c") return parse_continue(words);
    if (verb == "regs") return without_arguments<command::Registers>(words);
    if (verb == "x") return parse_examine(words);
    if (verb == "dis") return parse_disassemble(words);
    if (verb == "stats") return without_arguments<command::Stats>(words);
    if (verb == "help" || verb == "h" || verb == "?") return without_arguments<command::Help>(words);
    if (verb == "quit" || verb == "q") return without_arguments<command::Quit>(words);
    throw_bad_input("unknown command '{}' ('help' lists the commands)", verb);
}

std::string_view help_text() {
    return "Commands (the VM is stopped before the exit shown is handled):\n"
           "  Enter, next, n        handle this exit, stop at the next one\n"
           "  continue, c           run to the end without stopping\n"
           "  continue N            handle N exits (this one included), stop before the next\n"
           "  continue REASON       stop at the next exit of REASON: IO, MMIO, HLT, SHUTDOWN, …\n"
           "  regs                  all registers: general, segment, control, EFER, GDT/IDT\n"
           "  x ADDR [LEN]          hexdump LEN bytes (default 64, at most 4096) of guest memory\n"
           "  dis [ADDR [N]]        disassemble N instructions (default 8) at ADDR (default rip)\n"
           "  stats                 the exit statistics so far\n"
           "  help, h, ?            this text\n"
           "  quit, q               end the VM now (glassvm exits with status 117)\n"
           "ADDR is hex, with or without 0x: guest-virtual through the guest's page tables, or\n"
           "guest-physical as p:ADDR. LEN and N are decimal, or hex with 0x.\n"
           "End of input (Ctrl-D, or the end of a piped script) continues to the end.\n";
}

}  // namespace glassvm
