// One-line wording of an exit for the exit trace and the GDB stub's stop messages, as text
// and as JSON members, so every place that reports an exit says the same thing.
#pragma once

#include <span>
#include <string>

#include "vmm/accel/vm_exit.hpp"

namespace glassvm {

// "IO out port=0x3f8 size=1 data=0x41" / "MMIO write gpa=0xe0000000 size=4 data=0x12345678" /
// "SHUTDOWN".
std::string describe_exit(const VmExit& exit);

// The same as comma-separated JSON members without braces, e.g.
// "\"reason\":\"IO\",\"direction\":\"out\",\"port\":1016,\"size\":1,\"count\":1,\"data\":\"0x41\"".
std::string exit_json_fields(const VmExit& exit);

// Bytes as a little-endian hex number ("0x41", "0x12345678") when at most 8, else as hex bytes.
std::string format_data(std::span<const uint8_t> data);

}  // namespace glassvm
