// The Glassfile parser: instructions, their arguments, and errors that name the line.
#include <catch2/catch.hpp>

#include "error_matchers.hpp"
#include "image/glassfile.hpp"

using namespace glassvm::image;
using glassvm::test::IsBadInput;

TEST_CASE("glassfile: instructions, comments, continuations and both command forms", "[glassfile]") {
    std::vector<GlassfileStep> steps = parse_glassfile(
        "# a comment\n"
        "FROM scratch\n"
        "\n"
        "COPY rootfs /\n"
        "RUN echo one \\\n"
        "    && echo two\n"
        "ENV GREETING=hello world\n"
        "cmd [\"/probe\", \"10\"]\n");
    REQUIRE(steps.size() == 5);
    CHECK(steps[0].instruction == Instruction::From);
    CHECK(steps[0].arguments == std::vector<std::string>{"scratch"});
    CHECK(steps[1].arguments == std::vector<std::string>{"rootfs", "/"});
    CHECK(steps[1].line == 4);
    CHECK(steps[2].instruction == Instruction::Run);
    CHECK(steps[2].arguments == std::vector<std::string>{"/bin/sh", "-c", "echo one && echo two"});
    CHECK(steps[2].line == 5);
    CHECK(steps[3].arguments == std::vector<std::string>{"GREETING=hello world"});
    CHECK(steps[4].instruction == Instruction::Cmd);
    CHECK(steps[4].arguments == std::vector<std::string>{"/probe", "10"});
    CHECK(steps[4].line == 8);
}

TEST_CASE("glassfile: a vm image's boot settings", "[glassfile]") {
    std::vector<GlassfileStep> steps = parse_glassfile(
        "FROM scratch\nKIND vm\nKERNEL /boot/glassvm-guest\nINIT /probe\nCMDLINE hostname=x -- 5\nMEMORY 64M\nCPUS "
        "2\n");
    REQUIRE(steps.size() == 7);
    CHECK(steps[4].arguments == std::vector<std::string>{"hostname=x -- 5"});
}

TEST_CASE("glassfile: errors name the file and the line", "[glassfile]") {
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\n\nBOGUS x\n"), glassvm::Error,
                         IsBadInput("Glassfile:3: unknown instruction 'BOGUS'"));
    CHECK_THROWS_MATCHES(parse_glassfile("# c\nRUN true\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: the first instruction must be FROM"));
    CHECK_THROWS_MATCHES(parse_glassfile(""), glassvm::Error, IsBadInput("no instructions"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nCOPY onlyone\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: COPY takes a source and a destination"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nFROM base\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: FROM may appear only once"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nKIND pod\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: KIND is box or vm"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nKERNEL /k\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: KERNEL is for vm images"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nRUN\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: RUN needs an argument"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nCMD [\"a\", 1]\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: '[\"a\", 1]' is not a JSON array of strings"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nENV NOEQUALS\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: ENV takes KEY=VALUE"));
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nWORKDIR /a /b\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: WORKDIR takes one word"));
    // Steps go into JSON: a line that is not UTF-8 is refused here, not when the image is written.
    CHECK_THROWS_MATCHES(parse_glassfile("FROM scratch\nCMD echo \xff\xfe\n"), glassvm::Error,
                         IsBadInput("Glassfile:2: the line is not valid UTF-8"));
    CHECK(parse_glassfile("FROM scratch\nCMD echo caf\xc3\xa9\n")[1].arguments[2] == "echo caf\xc3\xa9");
}
