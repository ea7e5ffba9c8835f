// The 8254 programmable interval timer (Intel 82C54 datasheet), used only as a stopwatch to
// calibrate the local APIC timer and the TSC when nobody told the kernel the TSC's rate.
//
// Channel 0 counts down from 0xffff at 1.193182 MHz in mode 0 ("interrupt on terminal count":
// IRQ 0 stays masked), and the kernel reads the count back with the counter-latch command.
// Channel 2, which PCs gate and watch through port 0x61, would need no read-back, but QEMU's
// microvm has no port 0x61.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constexpr uint16_t kChannel0 = 0x40;
constexpr uint16_t kCommand = 0x43;
// Channel 0, low byte then high byte, mode 0, binary (datasheet "Control Word Format").
constexpr uint8_t kChannel0Mode0 = 0x30;
constexpr uint8_t kLatchChannel0 = 0x00;  // "Counter Latch Command" for channel 0
constexpr uint32_t kInputHz = 1'193'182;  // the PC's 14.31818 MHz crystal / 12
// A working PIT moves within a microsecond, far less than a port read takes: if the count has
// not moved after this many reads there is no PIT (an absent port reads all ones).
constexpr uint32_t kPollsToMove = 1000;
constexpr uint32_t kMaxPolls = 10'000'000;

uint16_t read_count() {
    x86::out8(kCommand, kLatchChannel0);
    uint8_t low = x86::in8(kChannel0);
    return uint16_t(low | x86::in8(kChannel0) << 8);
}

}  // namespace

bool pit_wait(uint32_t milliseconds) {
    uint32_t ticks = kInputHz * milliseconds / 1000;
    if (ticks == 0 || ticks >= 0xff00) return false;
    x86::out8(kCommand, kChannel0Mode0);
    x86::out8(kChannel0, 0xff);
    x86::out8(kChannel0, 0xff);
    uint16_t start = read_count();
    for (uint32_t poll = 0; poll < kMaxPolls; ++poll) {
        uint16_t elapsed = uint16_t(start - read_count());
        if (elapsed >= ticks) return true;
        if (elapsed == 0 && poll == kPollsToMove) return false;
    }
    return false;
}

}  // namespace glassvm::guest
