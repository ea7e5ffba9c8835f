// The GDB remote serial protocol on the wire: hex text (bytes as pairs of hex digits, numbers in
// big-endian hex), the arguments of the requests the stub serves, and the framing (gdb manual,
// "Remote Protocol" → "Overview"):
// a packet is `$DATA#CS` with CS the modulo-256 sum of DATA's bytes in two hex digits; the
// receiver answers `+` (received) or `-` (resend), unless both sides agreed to
// QStartNoAckMode. Binary data escapes `#`, `$`, `}` and `*` as `}` followed by the byte XOR
// 0x20; `X*N` repeats X N-29 more times (run-length encoding). A lone 0x03 byte between
// packets is an interrupt (gdb's Ctrl-C, "Interrupts").
//
// PacketDecoder turns an arbitrary stream of byte chunks — split anywhere, with garbage, bad
// checksums, truncated packets — into these events. Pure: no sockets, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm::gdb {

// The largest packet accepted (and announced as PacketSize in qSupported).
inline constexpr size_t kMaxPacketSize = 0x4000;
inline constexpr char kInterruptByte = 0x03;

uint8_t checksum(std::string_view data);

// "$DATA#CS" for `data`, which must already be escaped if it is binary.
std::string frame_packet(std::string_view data);

// Binary data with `#`, `$`, `}` and `*` escaped, ready for frame_packet.
std::string escape_binary(std::span<const uint8_t> data);
std::string escape_binary(std::string_view data);
// The inverse; nullopt when the data ends inside an escape.
std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data);

// Packet data with every `X*N` run expanded; nullopt for a `*` with nothing before it or a
// count character outside the printable range the manual allows.
std::optional<std::string> expand_run_length(std::string_view data);

struct DecodedEvent {
    enum class Kind {
        Packet,     // a complete packet with a good checksum: `data` (run-length expanded)
        Corrupt,    // a bad checksum, bad run-length encoding, oversized or truncated packet
        Interrupt,  // 0x03 between packets
        Ack,        // `+`
        Nack,       // `-`: the peer wants our last packet again
    };
    Kind kind;
    std::string data;

    bool operator==(const DecodedEvent&) const = default;
};

class PacketDecoder {
public:
    // Consumes `bytes` and returns the events they complete, in order. Bytes of an unfinished
    // packet are kept for the next call.
    std::vector<DecodedEvent> feed(std::string_view bytes);
    // True while a packet has started but not ended (useful to report a mid-packet hang-up).
    bool inside_packet() const { return m_state != State::Idle; }

private:
    enum class State {
        Idle,
        Data,
        ChecksumHigh,
        ChecksumLow
    };
    void consume(char byte, std::vector<DecodedEvent>& events);
    void consume_idle(char byte, std::vector<DecodedEvent>& events);
    DecodedEvent finish_packet() const;

    State m_state = State::Idle;
    std::string m_data;
    bool m_oversized = false;
    char m_checksum_high = 0;
    char m_checksum_low = 0;
};

// "48656c6c6f" for "Hello".
std::string to_hex(std::span<const uint8_t> bytes);
std::string to_hex(std::string_view text);
// The bytes of an even-length hex string, or nullopt for odd lengths and non-hex digits.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
// A number written in hex, most significant digit first ("1f" → 31); nullopt when empty, not
// hex, or too large for 64 bits.
std::optional<uint64_t> parse_hex_number(std::string_view text);

// `value`'s low `size` bytes, least significant first, as hex ("0010000000000000").
std::string to_hex_little_endian(uint64_t value, size_t size);
// The inverse; nullopt unless `hex` holds exactly `size` bytes (size ≤ 8).
std::optional<uint64_t> from_hex_little_endian(std::string_view hex, size_t size);

struct AddressLength {
    uint64_t address;
    uint64_t length;
};
// "ADDR,LENGTH", both hex.
std::optional<AddressLength> parse_address_length(std::string_view text);

// `M` (hex data) or `X` (escaped binary data): the data must be exactly LENGTH bytes.
struct MemoryWrite {
    uint64_t address;
    std::vector<uint8_t> data;
};
std::optional<MemoryWrite> parse_memory_write(std::string_view packet);

// `Z` inserts, `z` removes; type 0 software, 1 hardware, 2-4 watchpoints; KIND is the
// breakpoint's length in bytes; a `;conditions` tail is ignored.
struct BreakpointRequest {
    enum class Change {
        Insert,
        Remove
    };
    Change change;
    char type;
    uint64_t address;
    uint64_t kind;
};
std::optional<BreakpointRequest> parse_breakpoint(std::string_view packet);

// `P NUMBER=VALUE`: the register number and its value's hex (checked by decode_register).
struct RegisterAssignment {
    uint64_t number;
    std::string_view value;
};
std::optional<RegisterAssignment> parse_register_assignment(std::string_view packet);

// `qXfer:features:read:ANNEX:OFFSET,LENGTH`.
struct FeaturesRead {
    std::string_view annex;
    uint64_t offset;
    uint64_t length;
};
std::optional<FeaturesRead> parse_features_read(std::string_view packet);

}  // namespace glassvm::gdb
