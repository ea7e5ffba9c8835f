// Unit tests for the GDB remote protocol's framing (vmm/debug/gdb/packet.hpp): checksums,
// `}` escaping, run-length expansion, acknowledgements, the 0x03 interrupt, and a decoder fed
// split, corrupted, oversized and truncated input.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "vmm/debug/gdb/packet.hpp"

using namespace glassvm::gdb;
using Kind = DecodedEvent::Kind;

namespace {

std::vector<DecodedEvent> decode_all(std::string_view bytes) { return PacketDecoder().feed(bytes); }

DecodedEvent packet(std::string data) { return {Kind::Packet, std::move(data)}; }
DecodedEvent corrupt() { return {Kind::Corrupt, {}}; }

}  // namespace

TEST_CASE("the checksum is the modulo-256 sum of the data", "[gdb][packet]") {
    CHECK(checksum("") == 0);
    CHECK(checksum("OK") == 0x9a);
    CHECK(checksum("qSupported") == 0x37);
    CHECK(checksum(std::string(300, '\xff')) == static_cast<uint8_t>(300 * 0xff));
}

TEST_CASE("framing wraps data in $ and # with two lower-case hex digits", "[gdb][packet]") {
    CHECK(frame_packet("OK") == "$OK#9a");
    CHECK(frame_packet("") == "$#00");
    CHECK(frame_packet("g") == "$g#67");
}

TEST_CASE("binary escaping covers # $ } and * and nothing else", "[gdb][packet]") {
    std::vector<uint8_t> data = {0x23, 0x24, 0x7d, 0x2a, 0x00, 0x41, 0x5d, 0x03};
    std::string escaped = escape_binary(std::span<const uint8_t>(data));
    CHECK(escaped == std::string("}\x03}\x04}]}\x0a\x00"
                                 "A]\x03",
                                 12));
    auto back = unescape_binary(escaped);
    REQUIRE(back);
    CHECK(*back == data);
    CHECK_FALSE(unescape_binary("abc}"));  // ends inside an escape
}

TEST_CASE("run-length encoding repeats the previous character count minus 29 times", "[gdb][packet]") {
    CHECK(expand_run_length("0* ") == "0000");       // ' ' is 32: three more
    CHECK(expand_run_length("x*\"y") == "xxxxxxy");  // '"' is 34: five more
    CHECK(expand_run_length("ab*~") == "a" + std::string(98, 'b'));
    CHECK(expand_run_length("no runs") == "no runs");
    CHECK(expand_run_length("}]*!") == "}]}]}]}]}]");  // an escape pair repeats as a pair
}

TEST_CASE("malformed run-length encoding is rejected", "[gdb][packet]") {
    CHECK_FALSE(expand_run_length("*a"));   // nothing to repeat
    CHECK_FALSE(expand_run_length("a*"));   // no count
    CHECK_FALSE(expand_run_length("a*#"));  // '#' and '$' may not be counts
    CHECK_FALSE(expand_run_length("a*$"));
    CHECK_FALSE(expand_run_length("a*\x1f"));  // below the printable range
    CHECK_FALSE(expand_run_length("a* * "));   // a run cannot itself be repeated
}

TEST_CASE("a whole packet decodes, with upper- or lower-case checksum digits", "[gdb][packet]") {
    CHECK(decode_all("$qSupported#37") == std::vector{packet("qSupported")});
    CHECK(decode_all("$g#67$OK#9A") == std::vector{packet("g"), packet("OK")});
    CHECK(decode_all("$0* #7a") == std::vector{packet("0000")});  // checksum of the encoded form
}

TEST_CASE("a packet split at every byte decodes the same", "[gdb][packet]") {
    std::string wire = frame_packet("m100000,8") + "+" + frame_packet("c");
    PacketDecoder decoder;
    std::vector<DecodedEvent> events;
    for (char byte : wire)
        for (auto& event : decoder.feed(std::string_view(&byte, 1))) events.push_back(event);
    CHECK(events == std::vector{packet("m100000,8"), DecodedEvent{Kind::Ack, {}}, packet("c")});
}

TEST_CASE("a bad checksum or bad hex digits make a Corrupt event, and decoding goes on", "[gdb][packet]") {
    CHECK(decode_all("$g#68$g#67") == std::vector{corrupt(), packet("g")});
    CHECK(decode_all("$g#zz") == std::vector{corrupt()});
    CHECK(decode_all("$a*#8b") == std::vector{corrupt()});  // good checksum, bad run length
}

TEST_CASE("garbage between packets is skipped, and + - and 0x03 are events", "[gdb][packet]") {
    CHECK(decode_all("hello\r\n#12$g#67") == std::vector{packet("g")});
    CHECK(decode_all("+-\x03") == std::vector<DecodedEvent>{{Kind::Ack, {}}, {Kind::Nack, {}}, {Kind::Interrupt, {}}});
}

TEST_CASE("0x03 inside a packet is data (binary X packets), not an interrupt", "[gdb][packet]") {
    std::string data = std::string("X10,1:") + '\x03';
    CHECK(decode_all(frame_packet(data)) == std::vector{packet(data)});
}

TEST_CASE("a new $ cuts off an unfinished packet", "[gdb][packet]") {
    CHECK(decode_all("$m100$g#67") == std::vector{corrupt(), packet("g")});
}

TEST_CASE("an unfinished packet waits for more bytes", "[gdb][packet]") {
    PacketDecoder decoder;
    CHECK(decoder.feed("$qAttac").empty());
    CHECK(decoder.inside_packet());
    CHECK(decoder.feed("hed#").empty());
    CHECK(decoder.feed("8f") == std::vector{packet("qAttached")});
    CHECK_FALSE(decoder.inside_packet());
}

TEST_CASE("an oversized packet is rejected whole and the next one decodes", "[gdb][packet]") {
    std::string huge = frame_packet("M0," + std::string(kMaxPacketSize + 10, 'a'));
    CHECK(decode_all(huge + frame_packet("g")) == std::vector{corrupt(), packet("g")});
}

TEST_CASE("hex helpers", "[gdb][hex]") {
    CHECK(to_hex(std::string_view("Hi\n")) == "48690a");
    CHECK(from_hex("48690A") == std::vector<uint8_t>{0x48, 0x69, 0x0a});
    CHECK_FALSE(from_hex("486"));
    CHECK_FALSE(from_hex("4g"));
    CHECK(parse_hex_number("100000") == 0x100000u);
    CHECK(parse_hex_number("ffffffffffffffff") == ~0ull);
    CHECK_FALSE(parse_hex_number("1ffffffffffffffff"));  // 65 bits
    CHECK_FALSE(parse_hex_number(""));
    CHECK_FALSE(parse_hex_number("-1"));
    CHECK(to_hex_little_endian(0x100000, 8) == "0000100000000000");
    CHECK(from_hex_little_endian("0000100000000000", 8) == 0x100000u);
    CHECK_FALSE(from_hex_little_endian("0010", 4));  // wrong length
}
