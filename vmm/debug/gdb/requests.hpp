// The arguments of the GDB requests the stub serves (gdb manual, "Remote Protocol" →
// "Packets" and "General Query Packets"), parsed apart from serving them: `m ADDR,LENGTH`,
// `M ADDR,LENGTH:HEX`, `X ADDR,LENGTH:BINARY`, `Z/z TYPE,ADDR,KIND`, `P NUMBER=VALUE` and
// `qXfer:features:read:ANNEX:OFFSET,LENGTH`. Pure (no vCPU, no guest memory), so unit tests
// and the fuzzer (fuzz/fuzz_gdb_packet.cpp) reach every branch; gdb_packets.cpp acts on the
// results. nullopt means the packet is malformed (the stub answers E01).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace glassvm::gdb {

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
