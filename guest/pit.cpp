// The 8254 programmable interval timer (Intel 82C54 datasheet), used only as a stopwatch to
// calibrate the local APIC timer and the TSC when nobody told the kernel the TSC's rate.
//
// Channel 2 is the one a PC lets software start and watch without interrupts: its gate is bit 0
// of port 0x61, and its output can be read back in bit 5 of the same port (the PC/AT's "system
// control port B"). In mode 0 ("interrupt on terminal count") the output goes low when the count
// is written and high when it has counted down to zero.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constexpr uint16_t kChannel2 = 0x42;
constexpr uint16_t kCommand = 0x43;
constexpr uint16_t kControlPortB = 0x61;
constexpr uint8_t kGate2 = 0x01, kSpeaker = 0x02, kOutput2 = 0x20;
// Channel 2, low byte then high byte, mode 0, binary (datasheet "Control Word Format").
constexpr uint8_t kChannel2Mode0 = 0xb0;
constexpr uint32_t kInputHz = 1'193'182;  // the PC's 14.31818 MHz crystal / 12
// Each poll is a port read (a VM exit): a generous bound for the longest wait (50 ms).
constexpr uint32_t kMaxPolls = 1'000'000;

}  // namespace

bool pit_wait(uint32_t milliseconds) {
    uint32_t count = kInputHz * milliseconds / 1000;
    if (count == 0 || count > 0xffff) return false;
    uint8_t port_b = x86::in8(kControlPortB);
    x86::out8(kControlPortB, uint8_t((port_b & ~kSpeaker) | kGate2));
    x86::out8(kCommand, kChannel2Mode0);
    x86::out8(kChannel2, uint8_t(count));
    x86::out8(kChannel2, uint8_t(count >> 8));
    // Without a PIT the port reads as all ones: the output would look high at once.
    if (x86::in8(kControlPortB) & kOutput2) return false;
    for (uint32_t poll = 0; poll < kMaxPolls; ++poll)
        if (x86::in8(kControlPortB) & kOutput2) return true;
    return false;
}

}  // namespace glassvm::guest
