// The 8259A pair (pic_8259.hpp); names in the comments are the 8259A datasheet's.
#include "vmm/soft/pic_8259.hpp"

namespace glassvm::soft {
namespace {

using Chip = Pic8259Pair::Chip;
constexpr int kCascadeIrq = 2;
// The ELCR bits that exist: IRQs 0, 1, 2, 8 and 13 are always edge-triggered on a PC.
constexpr uint8_t kElcrWritable[2] = {0xf8, 0xde};

bool level_triggered(const Chip& chip, int irq) { return chip.level_mode || (chip.elcr >> irq & 1); }

// An input changed: an edge-triggered input requests on a rising edge, a level-triggered one
// whenever it is high ("Edge and Level Triggered Modes"). Either way the request must stay high
// until acknowledged: an input that falls before withdraws it (the datasheet's "default IR7").
void set_input(Chip& chip, int irq, bool high) {
    uint8_t bit = uint8_t(1 << irq);
    if (!high)
        chip.irr &= uint8_t(~bit);
    else if (level_triggered(chip, irq) || !(chip.lines & bit))
        chip.irr |= bit;
    high ? chip.lines |= bit : chip.lines &= uint8_t(~bit);
}

// How far `irq` is from the highest priority: 0 is the highest. Fully nested mode has IR0 first;
// rotation makes the IR after the lowest-priority one the highest ("Priority Resolver").
int rank(const Chip& chip, int irq) { return (irq - chip.lowest_priority - 1) & 7; }

// The highest-priority IR whose bit is set in `bits`, or -1.
int highest(const Chip& chip, uint8_t bits) {
    for (int step = 0; step < 8; ++step) {
        int irq = (chip.lowest_priority + 1 + step) & 7;
        if (bits >> irq & 1) return irq;
    }
    return -1;
}

// In service for priority purposes: in special mask mode, masked levels don't hold lower ones off.
uint8_t blocking_isr(const Chip& chip) { return chip.special_mask ? uint8_t(chip.isr & ~chip.imr) : chip.isr; }

// The IR the chip would interrupt for: an unmasked request above everything in service, or -1.
int pending(const Chip& chip) {
    int request = highest(chip, uint8_t(chip.irr & ~chip.imr));
    if (request < 0) return -1;
    int in_service = highest(chip, blocking_isr(chip));
    return in_service < 0 || rank(chip, request) < rank(chip, in_service) ? request : -1;
}

// The INTA pulses for `irq`: IRR to ISR (a level request stays while its input is high), or with
// auto-EOI straight through, rotating if so told ("Automatic End of Interrupt Mode").
void take(Chip& chip, int irq) {
    uint8_t bit = uint8_t(1 << irq);
    if (!level_triggered(chip, irq)) chip.irr &= uint8_t(~bit);
    if (chip.icw4 & 0x02) {
        if (chip.rotate_on_auto_eoi) chip.lowest_priority = uint8_t(irq);
    } else {
        chip.isr |= bit;
    }
}

// "Poll Command": the read after it returns 1000_0WWW (W the highest request) and acknowledges it.
uint8_t poll_read(Chip& chip) {
    chip.poll = false;
    int irq = pending(chip);
    if (irq < 0) return 0;
    take(chip, irq);
    return uint8_t(0x80 | irq);
}

// ICW1 starts initialization ("Initialization Command Words"): the mask is cleared, IR7 gets the
// lowest priority, special mask mode is cleared, status read selects the IRR, and without IC4
// all ICW4 functions are zero. The edge sense is reset: an edge request needs a new rising edge.
void start_initialization(Chip& chip, uint8_t icw1) {
    chip.needs_icw4 = icw1 & 0x01;
    chip.single = icw1 & 0x02;
    chip.level_mode = icw1 & 0x08;
    chip.expecting_icw = 2;
    chip.imr = chip.isr = 0;
    uint8_t level_inputs = chip.level_mode ? 0xff : chip.elcr;
    chip.irr = chip.lines & level_inputs;
    chip.lowest_priority = 7;
    chip.special_mask = chip.read_isr = chip.poll = chip.rotate_on_auto_eoi = false;
    chip.icw4 = 0;
}

void write_command(Chip& chip, uint8_t value) {
    if (value & 0x10) return start_initialization(chip, value);
    if (value & 0x08) {  // OCW3
        if (value & 0x04) chip.poll = true;
        if (value & 0x02) chip.read_isr = value & 0x01;      // RR: RIS selects ISR or IRR
        if (value & 0x40) chip.special_mask = value & 0x20;  // ESMM: SMM sets or resets
        return;
    }
    // OCW2: R, SL, EOI in bits 7:5, a level in bits 2:0.
    int level = value & 7;
    switch (value >> 5) {
        case 0b001:    // non-specific EOI: the highest level in service
        case 0b101: {  // ... and rotate: it becomes the lowest priority
            int irq = highest(chip, blocking_isr(chip));
            if (irq < 0) break;
            chip.isr &= uint8_t(~(1 << irq));
            if (value >> 5 == 0b101) chip.lowest_priority = uint8_t(irq);
            break;
        }
        case 0b011:
            chip.isr &= uint8_t(~(1 << level));
            break;   // specific EOI
        case 0b111:  // specific EOI and rotate
            chip.isr &= uint8_t(~(1 << level));
            chip.lowest_priority = uint8_t(level);
            break;
        case 0b110:
            chip.lowest_priority = uint8_t(level);
            break;  // set priority
        case 0b100:
            chip.rotate_on_auto_eoi = true;
            break;
        case 0b000:
            chip.rotate_on_auto_eoi = false;
            break;
        default:
            break;  // 010: no operation
    }
}

void write_data(Chip& chip, uint8_t value) {
    switch (chip.expecting_icw) {
        case 2:  // ICW2: T7-T3 of the vectors (x86 mode: the low three bits are the IR number)
            chip.vector_base = value & 0xf8;
            chip.expecting_icw = !chip.single ? 3 : chip.needs_icw4 ? 4 : 0;
            break;
        case 3:  // ICW3: the master's slave inputs, or the slave's id
            chip.icw3 = value;
            chip.expecting_icw = chip.needs_icw4 ? 4 : 0;
            break;
        case 4:  // ICW4: µPM, AEOI, M/S, BUF, SFNM
            chip.icw4 = value & 0x1f;
            chip.expecting_icw = 0;
            break;
        default:
            chip.imr = value;  // OCW1
    }
}

}  // namespace

bool Pic8259Pair::handles(uint16_t port) const {
    return port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 || port == 0x4d0 || port == 0x4d1;
}

uint8_t Pic8259Pair::read(uint16_t port) {
    std::lock_guard lock(m_mutex);
    if (port == 0x4d0 || port == 0x4d1) return m_chips[port - 0x4d0].elcr;
    if (!handles(port)) return 0xff;
    Chip& chip = m_chips[port >= 0xa0];
    uint8_t value;
    if (chip.poll)
        value = poll_read(chip);
    else if (port & 1)
        value = chip.imr;  // OCW1 read back
    else
        value = chip.read_isr ? chip.isr : chip.irr;
    update_cascade_locked();
    return value;
}

void Pic8259Pair::write(uint16_t port, uint8_t value) {
    std::lock_guard lock(m_mutex);
    if (port == 0x4d0 || port == 0x4d1) {
        int index = port - 0x4d0;
        m_chips[index].elcr = value & kElcrWritable[index];
    } else if (handles(port)) {
        Chip& chip = m_chips[port >= 0xa0];
        (port & 1) ? write_data(chip, value) : write_command(chip, value);
    }
    update_cascade_locked();
}

void Pic8259Pair::set_irq(uint32_t irq, bool high) {
    if (irq >= 16 || irq == uint32_t(kCascadeIrq)) return;
    std::lock_guard lock(m_mutex);
    set_input(m_chips[irq / 8], int(irq % 8), high);
    update_cascade_locked();
}

// The slave's INT output is the master's IR2 input.
void Pic8259Pair::update_cascade_locked() { set_input(m_chips[0], kCascadeIrq, pending(m_chips[1]) >= 0); }

bool Pic8259Pair::interrupt_pending() const {
    std::lock_guard lock(m_mutex);
    return pending(m_chips[0]) >= 0;
}

uint8_t Pic8259Pair::acknowledge() {
    std::lock_guard lock(m_mutex);
    Chip& master = m_chips[0];
    Chip& slave = m_chips[1];
    int irq = pending(master);
    if (irq < 0) return uint8_t(master.vector_base | 7);  // spurious: IR7, nothing in service
    take(master, irq);
    uint8_t vector = uint8_t(master.vector_base | irq);
    // A slave on this input supplies the vector itself.
    if (!master.single && (master.icw3 >> irq & 1)) {
        int slave_irq = pending(slave);
        if (slave_irq < 0) {
            vector = uint8_t(slave.vector_base | 7);
        } else {
            take(slave, slave_irq);
            vector = uint8_t(slave.vector_base | slave_irq);
        }
    }
    update_cascade_locked();
    return vector;
}

}  // namespace glassvm::soft
