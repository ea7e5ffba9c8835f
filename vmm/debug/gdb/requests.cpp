// Parsing the arguments of GDB requests; see requests.hpp.
#include "vmm/debug/gdb/requests.hpp"

#include "vmm/debug/gdb/hex.hpp"
#include "vmm/debug/gdb/packet.hpp"

namespace glassvm::gdb {

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
