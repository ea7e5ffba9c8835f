// The 8254 PIT and port 0x61 (pit_8254.hpp). Section names are the 8254 datasheet's.
#include "vmm/soft/pit_8254.hpp"

#include <utility>

#include "base/error.hpp"

namespace glassvm::soft {
namespace {

constexpr uint16_t kCounter0 = 0x40, kControl = 0x43, kPort61 = 0x61;
constexpr uint8_t kReadBack = 3;               // "Read-Back Command": SC1 SC0 = 11
constexpr uint64_t kRefreshPeriodNs = 15'085;  // port 0x61 bit 4 toggles at each DRAM refresh

}  // namespace

Pit8254::Pit8254(const TimeSource& time, std::function<void(bool)> irq0) : m_time(time), m_irq0(std::move(irq0)) {
    if (!m_irq0) throw Error(ErrorKind::Internal, "Pit8254 needs an irq0 callback");
    m_channels[2].gate = false;  // gate 2 is port 0x61 bit 0; channels 0 and 1 have theirs tied high
}

// The input clock's count at `ns`.
uint64_t Pit8254::tick(uint64_t ns) { return uint64_t((unsigned __int128)ns * kFrequencyHz / 1'000'000'000); }

uint8_t Pit8254::mode(const Channel& channel) {
    return channel.mode_bits > 5 ? channel.mode_bits - 4 : channel.mode_bits;
}

// Clocks counted since the count started, or nothing while the counter waits for a count (or, in
// modes 1 and 5, for its trigger).
std::optional<uint64_t> Pit8254::elapsed(const Channel& channel, uint64_t now_tick) const {
    if (!channel.loaded || ((mode(channel) == 1 || mode(channel) == 5) && !channel.triggered)) return std::nullopt;
    if (channel.paused) return channel.paused_elapsed;
    return now_tick - channel.start_tick;
}

// OUT per the datasheet's "Mode Definitions" and its waveforms (Figures 11-16).
bool Pit8254::out(const Channel& channel, uint64_t now_tick) const {
    auto e = elapsed(channel, now_tick);
    // After the control word: mode 0's OUT is low, every other mode's high.
    if (!e) return mode(channel) != 0;
    uint64_t n = channel.count;
    switch (mode(channel)) {
        case 0:  // interrupt on terminal count: low until the count reaches 0, then high
        case 1:  // hardware one-shot: low from the trigger until 0
            return *e >= n;
        case 2:  // rate generator: low for one clock when the count reaches 1, every N clocks
            return channel.paused || *e % n != n - 1;
        case 3:  // square wave: high for the first (N+1)/2 clocks of each N, low for the rest
            return channel.paused || *e % n < (n + 1) / 2;
        default:  // modes 4 and 5, strobes: low for the one clock at which the count reaches 0
            return *e != n;
    }
}

// What the counting element holds now. Modes 0, 1, 4 and 5 wrap past 0 and go on counting
// down; mode 2 reloads on reaching 1; mode 3 counts down by two, twice per period.
uint16_t Pit8254::counter_value(const Channel& channel, uint64_t now_tick) const {
    auto e = elapsed(channel, now_tick);
    if (!e) return channel.loaded ? uint16_t(channel.count) : channel.frozen;
    uint64_t n = channel.count;
    switch (mode(channel)) {
        case 2:
            return uint16_t(n - *e % n);
        case 3: {
            uint64_t phase = *e % n, half = (n + 1) / 2;
            return uint16_t((n & ~1ull) - 2 * (phase < half ? phase : phase - half));
        }
        default:
            return uint16_t(n - *e);
    }
}

void Pit8254::start(Channel& channel, uint64_t now_tick) {
    channel.start_tick = now_tick;
    channel.paused = false;
    channel.paused_elapsed = 0;
    // OUT rises when the count reaches 0 (modes 0-3) or one clock after (the strobes, 4 and 5).
    channel.next_rise = channel.count + (mode(channel) >= 4 ? 1 : 0);
}

// A whole count was written: modes 0, 2, 3 and 4 start counting (while the gate is high); modes
// 1 and 5 wait for the gate's rising edge.
void Pit8254::load(Channel& channel, uint32_t value, uint64_t now_tick) {
    channel.count = value == 0 ? 0x10000 : value;
    channel.loaded = true;
    channel.null_count = false;
    channel.triggered = false;
    channel.next_rise.reset();
    if (mode(channel) == 1 || mode(channel) == 5) return;
    start(channel, now_tick);
    if (!channel.gate) channel.paused = true;  // counts from the gate's rising edge
}

// "Gate Pin Operations Summary": a low gate stops modes 0, 2, 3 and 4 (and forces OUT high in 2
// and 3); a rising edge resumes 0 and 4, reloads 2 and 3, and triggers 1 and 5.
void Pit8254::set_gate(Channel& channel, bool high, uint64_t now_tick) {
    if (channel.gate == high) return;
    channel.gate = high;
    if (!channel.loaded) return;
    uint8_t m = mode(channel);
    if (!high) {
        if (m != 1 && m != 5 && !channel.paused) {
            channel.paused_elapsed = now_tick - channel.start_tick;
            channel.paused = true;
        }
    } else if (m == 0 || m == 4) {
        channel.start_tick = now_tick - channel.paused_elapsed;
        channel.paused = false;
    } else {
        channel.triggered = true;
        start(channel, now_tick);
    }
}

// "Control Word Format", "Counter Latch Command" and "Read-Back Command".
void Pit8254::write_control(uint8_t value, uint64_t now_tick) {
    uint8_t select = value >> 6, access = (value >> 4) & 3;
    if (select == kReadBack) {
        for (int index = 0; index < 3; ++index) {
            if (!(value & (2 << index))) continue;  // bits 1-3 select counters 0-2
            Channel& channel = m_channels[index];
            // A second latch before the first is read is ignored, for counts and status alike.
            if (!(value & 0x20) && !channel.latched) channel.latched = counter_value(channel, now_tick);
            if (!(value & 0x10) && !channel.status)
                channel.status = uint8_t(out(channel, now_tick) << 7 | channel.null_count << 6 | channel.access << 4 |
                                         channel.mode_bits << 1 | channel.bcd);
        }
        return;
    }
    Channel& channel = m_channels[select];
    if (access == 0) {  // counter latch command
        if (!channel.latched) channel.latched = counter_value(channel, now_tick);
        return;
    }
    // A control word resets the counter's logic: it waits for a new count, OUT in its initial state.
    channel.frozen = counter_value(channel, now_tick);
    channel.mode_bits = (value >> 1) & 7;
    channel.access = access;
    channel.bcd = value & 1;
    channel.loaded = channel.triggered = channel.paused = false;
    channel.next_rise.reset();
    channel.null_count = true;
    channel.write_high = channel.read_high = false;
    channel.latched.reset();
    channel.status.reset();
}

// Reads return a latched status first, then a latched count, else the live count, one byte at
// a time as the access mode says.
uint8_t Pit8254::read_counter(Channel& channel, uint64_t now_tick) {
    if (channel.status) return *std::exchange(channel.status, std::nullopt);
    uint16_t value = channel.latched ? *channel.latched : counter_value(channel, now_tick);
    bool high = channel.access == 2 || (channel.access == 3 && channel.read_high);
    if (channel.access == 3) channel.read_high = !channel.read_high;
    if (channel.access != 3 || !channel.read_high) channel.latched.reset();  // the whole latch was read
    return high ? uint8_t(value >> 8) : uint8_t(value);
}

void Pit8254::write_counter(Channel& channel, uint8_t value, uint64_t now_tick) {
    switch (channel.access) {
        case 1:
            load(channel, value, now_tick);
            break;
        case 2:
            load(channel, uint32_t(value) << 8, now_tick);
            break;
        default:
            if (!channel.write_high) {
                channel.low_byte = value;
                channel.write_high = true;
                // Mode 0: "writing the first byte disables counting", and OUT goes low.
                if (mode(channel) == 0 && channel.loaded) {
                    channel.frozen = counter_value(channel, now_tick);
                    channel.loaded = false;
                    channel.next_rise.reset();
                }
            } else {
                channel.write_high = false;
                load(channel, channel.low_byte | uint32_t(value) << 8, now_tick);
            }
    }
}

uint8_t Pit8254::read(uint16_t port) {
    std::lock_guard lock(m_mutex);
    uint64_t now = m_time.now_ns(), now_tick = tick(now);
    if (port >= kCounter0 && port < kControl) return read_counter(m_channels[port - kCounter0], now_tick);
    if (port == kPort61) {
        bool refresh = (now / kRefreshPeriodNs) & 1;
        return uint8_t((m_port61 & 0x0f) | refresh << 4 | out(m_channels[2], now_tick) << 5);
    }
    return 0xff;  // the control word register cannot be read
}

void Pit8254::write(uint16_t port, uint8_t value) {
    bool lower = false;
    {
        std::lock_guard lock(m_mutex);
        uint64_t now_tick = tick(m_time.now_ns());
        if (port >= kCounter0 && port < kControl) {
            write_counter(m_channels[port - kCounter0], value, now_tick);
        } else if (port == kControl) {
            write_control(value, now_tick);
        } else if (port == kPort61) {
            m_port61 = value & 0x0f;  // gate 2, speaker data, parity and channel check enables
            set_gate(m_channels[2], value & 1, now_tick);
        }
        // Channel 0's OUT went low (a mode 0 control word or count): so does IRQ 0.
        if (m_irq_level && !out(m_channels[0], now_tick)) lower = std::exchange(m_irq_level, false);
    }
    if (lower) m_irq0(false);
}

std::optional<uint64_t> Pit8254::irq_deadline_ns() const {
    std::lock_guard lock(m_mutex);
    const Channel& channel = m_channels[0];
    if (!channel.next_rise || channel.paused) return std::nullopt;  // set only while counting
    uint64_t rise_tick = channel.start_tick + *channel.next_rise;
    // The first nanosecond at which tick() reaches rise_tick.
    return uint64_t(((unsigned __int128)rise_tick * 1'000'000'000 + kFrequencyHz - 1) / kFrequencyHz);
}

bool Pit8254::poll() {
    bool lower_first;
    {
        std::lock_guard lock(m_mutex);
        Channel& channel = m_channels[0];
        auto e = elapsed(channel, tick(m_time.now_ns()));
        if (!channel.next_rise || channel.paused || !e || *e < *channel.next_rise) return false;
        uint8_t m = mode(channel);
        if (m == 2 || m == 3)  // periodic: the next rise after now (missed ones merge into this one)
            channel.next_rise = (*e / channel.count + 1) * channel.count;
        else
            channel.next_rise.reset();
        lower_first = std::exchange(m_irq_level, true);
    }
    if (lower_first) m_irq0(false);
    m_irq0(true);
    return true;
}

}  // namespace glassvm::soft
