// Unit tests for the register layout gdb sees (vmm/debug/gdb/registers.hpp and
// the target description): gdb's x86-64 numbering, the g/G/p/P encodings, which registers are
// writable, and that target.xml declares exactly the table's registers in order.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>

#include "vmm/debug/gdb/registers.hpp"

using namespace glassvm::gdb;

namespace {

CpuState sample_state() {
    CpuState state;
    state.regs.rax = 0x1111'2222'3333'4444;
    state.regs.rbx = 2;
    state.regs.rsp = 0x8000;
    state.regs.rbp = 0x7ff0;
    state.regs.r15 = 15;
    state.regs.rip = 0x100000;
    state.regs.rflags = 0x246;
    state.sregs.cs.selector = 0x08;
    state.sregs.ss.selector = 0x10;
    state.sregs.fs.base = 0xdead'0000;
    state.sregs.cr0 = 0x8005'0033;
    state.sregs.cr3 = 0x9000;
    state.sregs.efer = 0x500;
    return state;
}

// Size of each register in the g packet, as hex digits.
size_t hex_width(size_t number) { return register_table()[number].bits / 4; }

size_t g_offset(size_t number) {
    size_t offset = 0;
    for (size_t n = 0; n < number; ++n) offset += hex_width(n);
    return offset;
}

}  // namespace

TEST_CASE("register numbers follow gdb's 64bit-core.xml", "[gdb][registers]") {
    auto table = register_table();
    REQUIRE(table.size() == 48);
    CHECK(table[0].name == "rax");
    CHECK(table[3].name == "rdx");
    CHECK(table[6].name == "rbp");
    CHECK(table[7].name == "rsp");
    CHECK(table[15].name == "r15");
    CHECK(table[kRegisterRip].name == "rip");
    CHECK(table[17].name == "eflags");
    CHECK(table[17].bits == 32);
    CHECK(table[18].name == "cs");
    CHECK(table[23].name == "gs");
    CHECK(table[24].name == "st0");
    CHECK(table[24].bits == 80);
    CHECK(table[39].name == "fop");
    CHECK(table[40].name == "fs_base");
    CHECK(table[42].name == "cr0");
    CHECK(table[47].name == "efer");
}

TEST_CASE("the g packet holds every register little-endian, x87 unavailable", "[gdb][registers]") {
    std::string g = encode_all_registers(sample_state());
    CHECK(g.size() == g_offset(48));
    CHECK(g.substr(0, 16) == "4444333322221111");                       // rax
    CHECK(g.substr(g_offset(7), 16) == "0080000000000000");             // rsp
    CHECK(g.substr(g_offset(kRegisterRip), 16) == "0000100000000000");  // rip
    CHECK(g.substr(g_offset(17), 8) == "46020000");                     // eflags, 32 bits
    CHECK(g.substr(g_offset(18), 8) == "08000000");                     // cs selector
    CHECK(g.substr(g_offset(24), 20) == std::string(20, 'x'));          // st0
    CHECK(g.substr(g_offset(40), 16) == "0000adde00000000");            // fs_base
    CHECK(g.substr(g_offset(44), 16) == "0090000000000000");            // cr3
}

TEST_CASE("p reads one register, and past the table is an error", "[gdb][registers]") {
    CpuState state = sample_state();
    CHECK(encode_register(state, 0) == "4444333322221111");
    CHECK(encode_register(state, 43) == std::string("0000000000000000"));  // cr2
    CHECK(encode_register(state, 32) == std::string(8, 'x'));              // fctrl
    CHECK_FALSE(encode_register(state, 48));
    CHECK(read_register(state, 19) == 0x10u);  // ss
    CHECK_FALSE(read_register(state, 25));     // st1
}

TEST_CASE("P writes general, rip, eflags, base and control registers", "[gdb][registers]") {
    CpuState state = sample_state();
    CHECK(decode_register("efbeadde00000000", 1, state));
    CHECK(state.regs.rbx == 0xdeadbeef);
    CHECK(decode_register("0010100000000000", kRegisterRip, state));
    CHECK(state.regs.rip == 0x101000);
    CHECK(decode_register("02000000", 17, state));
    CHECK(state.regs.rflags == 2);
    CHECK(decode_register("0000000001000000", 41, state));
    CHECK(state.sregs.gs.base == 0x1'0000'0000);
    CHECK(decode_register("00a0000000000000", 44, state));
    CHECK(state.sregs.cr3 == 0xa000);
}

TEST_CASE("P refuses selectors, x87, bad lengths and unknown numbers", "[gdb][registers]") {
    CpuState state = sample_state();
    CHECK_FALSE(decode_register("10000000", 18, state));  // cs: needs its descriptor too
    CHECK(state.sregs.cs.selector == 0x08);
    CHECK_FALSE(decode_register(std::string(20, '0'), 24, state));  // st0
    CHECK_FALSE(decode_register("0000", 0, state));                 // too short for rax
    CHECK_FALSE(decode_register("zz00000000000000", 0, state));
    CHECK_FALSE(decode_register("0000000000000000", 48, state));
}

TEST_CASE("G applies the writable registers and ignores the rest", "[gdb][registers]") {
    CpuState state = sample_state();
    std::string g = encode_all_registers(state);
    g.replace(0, 16, "0100000000000000");               // rax = 1
    g.replace(g_offset(18), 8, "33000000");             // cs = 0x33: ignored
    g.replace(g_offset(24), 20, std::string(20, '0'));  // st0: ignored
    REQUIRE(decode_all_registers(g, state));
    CHECK(state.regs.rax == 1);
    CHECK(state.regs.rip == 0x100000);
    CHECK(state.sregs.cs.selector == 0x08);
    CHECK(state.sregs.cr3 == 0x9000);
}

TEST_CASE("G with the wrong length or bad hex changes nothing", "[gdb][registers]") {
    CpuState state = sample_state();
    std::string g = encode_all_registers(state);
    CHECK_FALSE(decode_all_registers(g.substr(2), state));
    g.replace(0, 2, "zz");
    CHECK_FALSE(decode_all_registers(g, state));
    CHECK(state.regs.rax == 0x1111'2222'3333'4444);
}

TEST_CASE("target.xml declares the table's registers with their numbers", "[gdb][registers]") {
    const std::string& xml = target_xml();
    CHECK_THAT(xml, Catch::Contains("<architecture>i386:x86-64</architecture>"));
    CHECK_THAT(xml, Catch::Contains("<feature name=\"org.gnu.gdb.i386.core\">"));
    CHECK_THAT(xml, Catch::Contains("<feature name=\"org.gnu.gdb.i386.segments\">"));
    CHECK_THAT(xml, !Catch::Contains("org.gnu.gdb.i386.sse"));
    size_t previous = 0;
    auto table = register_table();
    for (size_t number = 0; number < table.size(); ++number) {
        std::string reg = fmt::format("<reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\"", table[number].name,
                                      table[number].bits, table[number].type, number);
        size_t at = xml.find(reg);
        INFO(reg);
        REQUIRE(at != std::string::npos);
        CHECK(at > previous);  // in number order
        previous = at;
    }
}

TEST_CASE("qXfer chunks target.xml with m and l and rejects other annexes", "[gdb][registers]") {
    const std::string& xml = target_xml();
    auto first = read_target_description("target.xml", 0, 100);
    REQUIRE(first);
    CHECK(*first == "m" + xml.substr(0, 100));
    auto last = read_target_description("target.xml", 100, xml.size());
    REQUIRE(last);
    CHECK(*last == "l" + xml.substr(100));
    CHECK(read_target_description("target.xml", xml.size() + 5, 10) == std::string("l"));
    CHECK_FALSE(read_target_description("64bit-sse.xml", 0, 100));
}
