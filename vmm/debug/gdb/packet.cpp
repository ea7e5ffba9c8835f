// RSP framing (checksums, escaping, run-length expansion, the incremental decoder), hex text and
// the requests' arguments.
#include "vmm/debug/gdb/packet.hpp"

#include <fmt/format.h>

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

namespace {

constexpr char kDigits[] = "0123456789abcdef";

std::optional<uint8_t> digit_value(char digit) {
    if (digit >= '0' && digit <= '9') return static_cast<uint8_t>(digit - '0');
    if (digit >= 'a' && digit <= 'f') return static_cast<uint8_t>(digit - 'a' + 10);
    if (digit >= 'A' && digit <= 'F') return static_cast<uint8_t>(digit - 'A' + 10);
    return std::nullopt;
}

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
    std::string text;
    text.reserve(bytes.size() * 2);
    for (uint8_t byte : bytes) {
        text.push_back(kDigits[byte >> 4]);
        text.push_back(kDigits[byte & 0xf]);
    }
    return text;
}

std::string to_hex(std::string_view text) {
    return to_hex(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::vector<uint8_t> bytes;
    bytes.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        auto high = digit_value(hex[i]);
        auto low = digit_value(hex[i + 1]);
        if (!high || !low) return std::nullopt;
        bytes.push_back(static_cast<uint8_t>(*high << 4 | *low));
    }
    return bytes;
}

std::optional<uint64_t> parse_hex_number(std::string_view text) {
    if (text.empty() || text.size() > 16) return std::nullopt;
    uint64_t value = 0;
    for (char digit : text) {
        auto nibble = digit_value(digit);
        if (!nibble) return std::nullopt;
        value = value << 4 | *nibble;
    }
    return value;
}

std::string to_hex_little_endian(uint64_t value, size_t size) {
    uint8_t bytes[8];
    for (size_t i = 0; i < size && i < 8; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    return to_hex(std::span<const uint8_t>(bytes, size < 8 ? size : 8));
}

std::optional<uint64_t> from_hex_little_endian(std::string_view hex, size_t size) {
    if (size > 8 || hex.size() != 2 * size) return std::nullopt;
    auto bytes = from_hex(hex);
    if (!bytes) return std::nullopt;
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i) value |= uint64_t{(*bytes)[i]} << (8 * i);
    return value;
}

namespace {

constexpr std::string_view kFeaturesRead = "qXfer:features:read:";

}  // namespace

std::optional<AddressLength> parse_address_length(std::string_view text) {
    size_t comma = text.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    auto address = parse_hex_number(text.substr(0, comma));
    auto length = parse_hex_number(text.substr(comma + 1));
    if (!address || !length) return std::nullopt;
    return AddressLength{*address, *length};
}

std::optional<MemoryWrite> parse_memory_write(std::string_view packet) {
    if (packet.empty() || (packet[0] != 'M' && packet[0] != 'X')) return std::nullopt;
    size_t colon = packet.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto range = parse_address_length(packet.substr(1, colon - 1));
    std::string_view payload = packet.substr(colon + 1);
    auto data = packet[0] == 'X' ? unescape_binary(payload) : from_hex(payload);
    if (!range || !data || data->size() != range->length) return std::nullopt;
    return MemoryWrite{range->address, std::move(*data)};
}

std::optional<BreakpointRequest> parse_breakpoint(std::string_view packet) {
    if (packet.size() < 3 || (packet[0] != 'Z' && packet[0] != 'z') || packet[2] != ',') return std::nullopt;
    std::string_view rest = packet.substr(3);
    auto range = parse_address_length(rest.substr(0, rest.find(';')));  // ADDR,KIND[;conditions]
    if (!range) return std::nullopt;
    auto change = packet[0] == 'Z' ? BreakpointRequest::Change::Insert : BreakpointRequest::Change::Remove;
    return BreakpointRequest{change, packet[1], range->address, range->length};
}

std::optional<RegisterAssignment> parse_register_assignment(std::string_view packet) {
    if (packet.empty() || packet[0] != 'P') return std::nullopt;
    size_t equals = packet.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    auto number = parse_hex_number(packet.substr(1, equals - 1));
    if (!number) return std::nullopt;
    return RegisterAssignment{*number, packet.substr(equals + 1)};
}

std::optional<FeaturesRead> parse_features_read(std::string_view packet) {
    if (!packet.starts_with(kFeaturesRead)) return std::nullopt;
    std::string_view rest = packet.substr(kFeaturesRead.size());
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto range = parse_address_length(rest.substr(colon + 1));
    if (!range) return std::nullopt;
    return FeaturesRead{rest.substr(0, colon), range->address, range->length};
}

}  // namespace glassvm::gdb
