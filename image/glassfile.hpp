// The build file `glassvm build DIR` reads, DIR/Glassfile: one instruction per line,
// `#` comments and blank lines ignored, a trailing backslash continues a line.
//   FROM scratch|IMAGE     first instruction: start empty or from a stored image's layers
//   COPY SRC DST           SRC (in DIR) → DST in the image (a layer)
//   RUN CMD                CMD in a box over the layers so far; what it changes is a layer
//   CMD CMD                the command an instance runs
//   ENV KEY=VALUE          set in RUN steps and in instances
//   WORKDIR PATH           where instances (and later RUN steps) start
//   KIND box|vm            what the image's instances are
//   KERNEL PATH, INIT PATH, CMDLINE TEXT, MEMORY SIZE, CPUS N   how a vm image boots
// RUN and CMD take a shell line (run by /bin/sh -c) or a JSON array of strings (run as is).
#pragma once

#include <string>
#include <vector>

namespace glassvm::image {

enum class Instruction {
    From,
    Copy,
    Run,
    Cmd,
    Env,
    Workdir,
    Kind,
    Kernel,
    Init,
    Cmdline,
    Memory,
    Cpus
};

struct GlassfileStep {
    Instruction instruction;
    std::vector<std::string> arguments;  // COPY: {src, dst}; RUN/CMD: argv; others: {text}
    std::string text;                    // the line as written (continuations joined)
    int line = 0;                        // 1-based line number of its first line
};

// Parses a Glassfile's text; `file_name` appears in errors: "Glassfile:3: unknown instruction
// 'FOOBAR'" (BadInput). Checks what it can without the store: FROM first and only once, argument
// counts, KIND values, and that KERNEL/INIT/CMDLINE/MEMORY/CPUS come with KIND vm.
std::vector<GlassfileStep> parse_glassfile(const std::string& text, const std::string& file_name = "Glassfile");

// The instruction's keyword, as written in a Glassfile ("COPY").
std::string instruction_name(Instruction instruction);

}  // namespace glassvm::image
