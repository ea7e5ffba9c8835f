// The GDB remote serial protocol's framing (gdb manual, "Remote Protocol" → "Overview"):
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

}  // namespace glassvm::gdb
