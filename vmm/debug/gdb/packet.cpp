// RSP framing: checksums, escaping, run-length expansion and the incremental decoder.
#include "vmm/debug/gdb/packet.hpp"

#include <fmt/format.h>

#include "vmm/debug/gdb/hex.hpp"

namespace glassvm::gdb {

namespace {

constexpr char kEscape = '}';
constexpr uint8_t kEscapeXor = 0x20;

bool needs_escape(uint8_t byte) { return byte == '#' || byte == '$' || byte == '}' || byte == '*'; }

// "Run-length encoding": the count character is printable, and neither `#` nor `$`.
bool valid_repeat_character(char count) { return count >= ' ' && count <= '~' && count != '#' && count != '$'; }

}  // namespace

uint8_t checksum(std::string_view data) {
    uint8_t sum = 0;
    for (char byte : data) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(byte));
    return sum;
}

std::string frame_packet(std::string_view data) { return fmt::format("${}#{:02x}", data, checksum(data)); }

std::string escape_binary(std::span<const uint8_t> data) {
    std::string escaped;
    escaped.reserve(data.size());
    for (uint8_t byte : data) {
        if (needs_escape(byte)) {
            escaped.push_back(kEscape);
            escaped.push_back(static_cast<char>(byte ^ kEscapeXor));
        } else {
            escaped.push_back(static_cast<char>(byte));
        }
    }
    return escaped;
}

std::string escape_binary(std::string_view data) {
    return escape_binary(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data) {
    std::vector<uint8_t> bytes;
    bytes.reserve(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
        uint8_t byte = static_cast<uint8_t>(data[i]);
        if (byte == kEscape) {
            if (++i == data.size()) return std::nullopt;
            byte = static_cast<uint8_t>(data[i]) ^ kEscapeXor;
        }
        bytes.push_back(byte);
    }
    return bytes;
}

std::optional<std::string> expand_run_length(std::string_view data) {
    std::string expanded;
    std::string_view last_unit;  // the last character, or escape pair, to repeat
    for (size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '*') {
            if (last_unit.empty() || i + 1 == data.size() || !valid_repeat_character(data[i + 1])) return std::nullopt;
            int repeats = data[i + 1] - 29;
            for (int n = 0; n < repeats; ++n) expanded.append(last_unit);
            last_unit = {};  // a run cannot itself be repeated
            ++i;
            continue;
        }
        size_t length = (data[i] == kEscape && i + 1 < data.size()) ? 2 : 1;
        last_unit = data.substr(i, length);
        expanded.append(last_unit);
        i += length - 1;
    }
    return expanded;
}

std::vector<DecodedEvent> PacketDecoder::feed(std::string_view bytes) {
    std::vector<DecodedEvent> events;
    for (char byte : bytes) consume(byte, events);
    return events;
}

void PacketDecoder::consume(char byte, std::vector<DecodedEvent>& events) {
    switch (m_state) {
        case State::Idle:
            consume_idle(byte, events);
            return;
        case State::Data:
            if (byte == '#') {
                m_state = State::ChecksumHigh;
            } else if (byte == '$') {
                // An unescaped `$` cannot be data: the previous packet was cut off; this one starts.
                events.push_back({DecodedEvent::Kind::Corrupt, {}});
                m_data.clear();
                m_oversized = false;
            } else if (m_data.size() < kMaxPacketSize) {
                m_data.push_back(byte);
            } else {
                m_oversized = true;  // keep reading to the `#`, then reject the whole packet
            }
            return;
        case State::ChecksumHigh:
            m_checksum_high = byte;
            m_state = State::ChecksumLow;
            return;
        case State::ChecksumLow:
            m_checksum_low = byte;
            events.push_back(finish_packet());
            m_state = State::Idle;
            m_data.clear();
            m_oversized = false;
            return;
    }
}

void PacketDecoder::consume_idle(char byte, std::vector<DecodedEvent>& events) {
    switch (byte) {
        case '$':
            m_state = State::Data;
            break;
        case '+':
            events.push_back({DecodedEvent::Kind::Ack, {}});
            break;
        case '-':
            events.push_back({DecodedEvent::Kind::Nack, {}});
            break;
        case kInterruptByte:
            events.push_back({DecodedEvent::Kind::Interrupt, {}});
            break;
        default:
            break;  // noise between packets (a stray newline, a half-sent packet's tail)
    }
}

DecodedEvent PacketDecoder::finish_packet() const {
    const char digits[2] = {m_checksum_high, m_checksum_low};
    auto sent = parse_hex_number(std::string_view(digits, 2));
    if (m_oversized || !sent || *sent != checksum(m_data)) return {DecodedEvent::Kind::Corrupt, {}};
    auto expanded = expand_run_length(m_data);
    if (!expanded) return {DecodedEvent::Kind::Corrupt, {}};
    return {DecodedEvent::Kind::Packet, std::move(*expanded)};
}

}  // namespace glassvm::gdb
