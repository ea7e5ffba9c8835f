// Unit tests for the GDB request parsing (vmm/debug/gdb/packet.hpp): memory reads and
// writes, breakpoints, register assignments and qXfer reads, well-formed and malformed.
#include <catch2/catch.hpp>

#include <vector>

#include "vmm/debug/gdb/packet.hpp"

using namespace glassvm::gdb;

TEST_CASE("ADDR,LENGTH parses two hex numbers", "[gdb][requests]") {
    auto range = parse_address_length("100000,40");
    REQUIRE(range);
    CHECK(range->address == 0x100000);
    CHECK(range->length == 0x40);
    CHECK_FALSE(parse_address_length("100000"));
    CHECK_FALSE(parse_address_length(",40"));
    CHECK_FALSE(parse_address_length("100000,"));
    CHECK_FALSE(parse_address_length("1g,1"));
    CHECK_FALSE(parse_address_length("10000000000000000,1"));  // 65 bits
}

TEST_CASE("M and X writes carry exactly LENGTH bytes", "[gdb][requests]") {
    auto hex = parse_memory_write("M1000,4:deadbeef");
    REQUIRE(hex);
    CHECK(hex->address == 0x1000);
    CHECK(hex->data == std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef});
    auto binary = parse_memory_write(
        "X2000,3:a}\x03"
        "b");
    REQUIRE(binary);
    CHECK(binary->data == std::vector<uint8_t>{'a', '#', 'b'});
    auto probe = parse_memory_write("X2000,0:");
    REQUIRE(probe);
    CHECK(probe->data.empty());
    CHECK_FALSE(parse_memory_write("M1000,4:dead"));     // fewer bytes than LENGTH
    CHECK_FALSE(parse_memory_write("M1000,4deadbeef"));  // no colon
    CHECK_FALSE(parse_memory_write("X1000,1:}"));        // ends inside an escape
    CHECK_FALSE(parse_memory_write("M:"));
    CHECK_FALSE(parse_memory_write(""));
}

TEST_CASE("Z and z name a type, an address and a kind", "[gdb][requests]") {
    auto insert = parse_breakpoint("Z0,100000,1");
    REQUIRE(insert);
    CHECK(insert->change == BreakpointRequest::Change::Insert);
    CHECK(insert->type == '0');
    CHECK(insert->address == 0x100000);
    CHECK(insert->kind == 1);
    auto remove = parse_breakpoint("z1,2000,1;X1,ff");  // conditions are ignored
    REQUIRE(remove);
    CHECK(remove->change == BreakpointRequest::Change::Remove);
    CHECK(remove->type == '1');
    CHECK_FALSE(parse_breakpoint("Z0"));
    CHECK_FALSE(parse_breakpoint("Z0,"));
    CHECK_FALSE(parse_breakpoint("Z0;100000,1"));
    CHECK_FALSE(parse_breakpoint("Z0,100000"));
}

TEST_CASE("P NUMBER=VALUE and qXfer:features:read parse their parts", "[gdb][requests]") {
    auto assignment = parse_register_assignment("P10=0010100000000000");
    REQUIRE(assignment);
    CHECK(assignment->number == 0x10);
    CHECK(assignment->value == "0010100000000000");
    CHECK_FALSE(parse_register_assignment("P10"));
    CHECK_FALSE(parse_register_assignment("P=00"));
    auto read = parse_features_read("qXfer:features:read:target.xml:0,ffb");
    REQUIRE(read);
    CHECK(read->annex == "target.xml");
    CHECK(read->offset == 0);
    CHECK(read->length == 0xffb);
    CHECK_FALSE(parse_features_read("qXfer:features:read:target.xml"));
    CHECK_FALSE(parse_features_read("qXfer:features:read:target.xml:0"));
    CHECK_FALSE(parse_features_read("qSupported"));
}
