// Which instructions may leave ring 0 for ring 3 (the stepper must not single-step into user mode).
#include "vmm/debug/gdb/guest_debug.hpp"

namespace glassvm::gdb {

bool may_enter_user_mode(std::span<const uint8_t> bytes) {
    size_t at = 0;
    while (at < bytes.size() && (bytes[at] == 0x66 || (bytes[at] & 0xf0) == 0x40)) ++at;  // o16, REX
    if (at >= bytes.size()) return false;
    uint8_t opcode = bytes[at];
    if (opcode == 0xcf || opcode == 0xca || opcode == 0xcb) return true;  // iret, lret imm16, lret
    bool two_byte = opcode == 0x0f && at + 1 < bytes.size();
    return two_byte && (bytes[at + 1] == 0x07 || bytes[at + 1] == 0x35);  // sysret, sysexit
}

}  // namespace glassvm::gdb
