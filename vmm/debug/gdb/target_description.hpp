// The target description gdb reads with qXfer:features:read (gdb manual, "Target
// Descriptions" and "Remote Protocol" → "General Query Packets" → qXfer): x86-64, the core
// registers, fs_base/gs_base and glassvm's control-register feature, written from the
// register table in registers.hpp so the numbering matches the g/p packets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glassvm::gdb {

// The whole target.xml.
const std::string& target_xml();

// The reply to `qXfer:features:read:ANNEX:OFFSET,LENGTH`: "m" + the (escaped) chunk when more
// follows, "l" + the chunk when it reaches the end; nullopt for an annex other than target.xml.
std::optional<std::string> read_target_description(std::string_view annex, uint64_t offset, uint64_t length);

}  // namespace glassvm::gdb
