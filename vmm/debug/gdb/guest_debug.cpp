// Building kvm_guest_debug: the control flags and, for hardware breakpoints, DR0–DR3 and DR7.
#include "vmm/debug/gdb/guest_debug.hpp"

namespace glassvm::gdb {

namespace {

// DR7 (SDM vol. 3B, 17.2.4): Gn (bit 2n+1) enables breakpoint n globally; R/Wn (bits 16+4n)
// and LENn (18+4n) stay 00 for an instruction breakpoint. GE (bit 9) as QEMU sets it, and bit
// 10, which always reads as 1.
constexpr uint64_t kDr7Base = (1ull << 9) | (1ull << 10);
constexpr uint64_t global_enable(size_t n) { return 1ull << (2 * n + 1); }

}  // namespace

kvm_guest_debug to_kvm_guest_debug(const GuestDebugRequest& request) {
    kvm_guest_debug debug{};
    if (!request.enabled()) return debug;
    debug.control = KVM_GUESTDBG_ENABLE;
    if (request.single_step) debug.control |= KVM_GUESTDBG_SINGLESTEP;
    if (request.intercept_int3) debug.control |= KVM_GUESTDBG_USE_SW_BP;
    if (!request.hardware_breakpoints.empty()) {
        debug.control |= KVM_GUESTDBG_USE_HW_BP;
        debug.arch.debugreg[7] = kDr7Base;
        for (size_t n = 0; n < request.hardware_breakpoints.size() && n < kMaxHardwareBreakpoints; ++n) {
            debug.arch.debugreg[n] = request.hardware_breakpoints[n];
            debug.arch.debugreg[7] |= global_enable(n);
        }
    }
    return debug;
}

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
