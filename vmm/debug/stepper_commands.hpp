// The exit stepper's command language, parsed from one line of input without touching the VM
// (so it is unit-tested on its own). `help_text()` is the reference a user sees.
//
// Numbers: an ADDR is always hexadecimal, with or without 0x (`x 100000` = `x 0x100000`);
// prefixed with `p:` it is guest-physical, otherwise guest-virtual (translated through the
// guest's page tables). A count (LEN, N) is decimal, or hexadecimal with 0x.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "vmm/x86/page_tables.hpp"

namespace glassvm {

namespace command {

struct Next {};  // Enter, `next`, `n`: handle this exit, stop at the next one
// `continue`, `c`: with a count, handle that many exits (this one included) and stop before
// the next; with a reason, stop at the next exit of that reason; with neither, run to the end.
struct Continue {
    std::optional<uint64_t> exits;
    std::optional<std::string> reason;  // upper case, one of the names exit_name() gives
};
struct Registers {};  // `regs`
struct Examine {      // `x ADDR [LEN]`
    GuestAddress address;
    uint64_t length;
};
struct Disassemble {  // `dis [ADDR [N]]`; no ADDR: at rip
    std::optional<GuestAddress> address;
    uint64_t count;
};
struct Stats {};  // `stats`
struct Help {};   // `help`, `h`, `?`
struct Quit {};   // `quit`, `q`: end the VM (exit status 117)

}  // namespace command

using StepperCommand = std::variant<command::Next, command::Continue, command::Registers, command::Examine,
                                    command::Disassemble, command::Stats, command::Help, command::Quit>;

inline constexpr uint64_t kDefaultExamineLength = 64;
inline constexpr uint64_t kMaxExamineLength = 4096;
inline constexpr uint64_t kDefaultDisassembleCount = 8;
inline constexpr uint64_t kMaxDisassembleCount = 64;

// Parses one line (surrounding blanks ignored; an empty line is Next). Throws a BadInput
// glassvm::Error whose message is the one-line complaint to show.
StepperCommand parse_command(std::string_view line);

// The command reference `help` prints.
std::string_view help_text();

}  // namespace glassvm
