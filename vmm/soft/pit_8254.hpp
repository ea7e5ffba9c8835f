// The PC's 8254 programmable interval timer (Intel 8254 datasheet, 231164) for the soft backend,
// plus the bits of port 0x61 (NMI status and control) that belong to it: channel 2's gate (bit 0),
// the speaker's data enable (bit 1), the refresh toggle (bit 4) and channel 2's OUT (bit 5).
//
// Three 16-bit down-counters clocked at 1.193182 MHz. Nothing ticks: each counter remembers the
// clock at which its count started, and its count and OUT are computed from TimeSource::now_ns
// whenever they are read. Channel 0's OUT drives IRQ 0: the owner asks irq_deadline_ns() when
// OUT next rises and calls poll() then, which signals the rising edge on `irq0`.
//
// Simplifications, each invisible to a guest that reads the counter through the ports:
//  - a count written takes effect at once (the chip loads it on the next clock; mode 0's OUT
//    rises after N clocks here, N+1 on the chip), and a new count written in modes 2 and 3 while
//    counting restarts the count at once rather than at the end of the current period;
//  - BCD counting (control word bit 0) is held for the status byte but counts in binary;
//  - in modes 2 and 3, the IRQ 0 line is shown as a pulse at each rising edge of OUT (lowered and
//    raised in one poll()), which is all an edge-triggered interrupt controller can see.
//
// Thread safety: every member may be called from any thread; `irq0` is called without the lock.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "vmm/soft/time_source.hpp"

namespace glassvm::soft {

class Pit8254 {
public:
    static constexpr uint64_t kFrequencyHz = 1193182;  // the PC's 14.31818 MHz crystal / 12

    Pit8254(const TimeSource& time, std::function<void(bool level)> irq0);  // channel 0's OUT drives IRQ 0

    uint8_t read(uint16_t port);               // 0x40-0x42 counters, 0x43 (reads 0xff), 0x61
    void write(uint16_t port, uint8_t value);  // 0x40-0x43, 0x61

    // When channel 0's OUT next rises (modes 2 and 3 periodically, modes 0 and 4 once), if it will.
    std::optional<uint64_t> irq_deadline_ns() const;
    // Signals IRQ 0's rising edge if it is due; returns whether it did.
    bool poll();

private:
    struct Channel {
        uint8_t mode_bits = 0;  // control word bits 3:1, as written (6 and 7 count as 2 and 3)
        uint8_t access = 3;     // 1 low byte, 2 high byte, 3 low then high
        bool bcd = false;
        bool gate = true;
        uint32_t count = 0x10000;  // the count loaded, 1..65536 (a written 0 means 65536)
        bool loaded = false;       // a count was written since the control word
        bool triggered = false;    // modes 1 and 5: the gate's rising edge started the count
        uint64_t start_tick = 0;   // the clock at which the count started
        bool paused = false;       // the gate is low in a mode it stops
        uint64_t paused_elapsed = 0;
        std::optional<uint64_t> next_rise;  // elapsed clocks at which OUT next rises
        uint16_t frozen = 0;                // what the counter reads while no count is loaded
        bool write_high = false;            // lo-then-hi access: the next byte written is the high one
        uint8_t low_byte = 0;
        bool read_high = false;  // ... and the next byte read
        std::optional<uint16_t> latched;
        std::optional<uint8_t> status;
        bool null_count = true;  // a count was written but not loaded yet (status bit 6)
    };

    static uint64_t tick(uint64_t ns);
    static uint8_t mode(const Channel& channel);
    std::optional<uint64_t> elapsed(const Channel& channel, uint64_t now_tick) const;
    bool out(const Channel& channel, uint64_t now_tick) const;
    uint16_t counter_value(const Channel& channel, uint64_t now_tick) const;
    void start(Channel& channel, uint64_t now_tick);
    void load(Channel& channel, uint32_t value, uint64_t now_tick);
    void set_gate(Channel& channel, bool high, uint64_t now_tick);
    void write_control(uint8_t value, uint64_t now_tick);
    uint8_t read_counter(Channel& channel, uint64_t now_tick);
    void write_counter(Channel& channel, uint8_t value, uint64_t now_tick);

    const TimeSource& m_time;
    const std::function<void(bool)> m_irq0;
    mutable std::mutex m_mutex;
    std::array<Channel, 3> m_channels;
    uint8_t m_port61 = 0;      // bits 3:0 as last written
    bool m_irq_level = false;  // what irq0 was last told
};

}  // namespace glassvm::soft
