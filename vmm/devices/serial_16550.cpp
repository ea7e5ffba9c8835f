// The 16550A UART register model. Section numbers refer to the PC16550D datasheet
// (National Semiconductor, June 1995; reissued by TI as SNLS378).
#include "vmm/devices/serial_16550.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace glassvm {
namespace {

// Register offsets (datasheet Table II). Offsets 0 and 1 are the divisor latch when LCR.DLAB=1.
enum Register : uint64_t {
    kData = 0,             // RBR (read) / THR (write) / DLL
    kInterruptEnable = 1,  // IER / DLM
    kInterruptId = 2,      // IIR (read) / FCR (write)
    kLineControl = 3,
    kModemControl = 4,
    kLineStatus = 5,
    kModemStatus = 6,
    kScratch = 7,
};

// IER (8.7).
constexpr uint8_t kIerReceivedData = 0x01;   // ERBFI
constexpr uint8_t kIerTransmitEmpty = 0x02;  // ETBEI
constexpr uint8_t kIerLineStatus = 0x04;     // ELSI
constexpr uint8_t kIerModemStatus = 0x08;    // EDSSI

// IIR (8.6, Table IV): bit 0 clear means "interrupt pending", bits 1-3 name the source.
constexpr uint8_t kIirNone = 0x01;
constexpr uint8_t kIirLineStatus = 0x06;
constexpr uint8_t kIirReceivedData = 0x04;
constexpr uint8_t kIirCharacterTimeout = 0x0c;
constexpr uint8_t kIirTransmitEmpty = 0x02;
constexpr uint8_t kIirModemStatus = 0x00;
constexpr uint8_t kIirFifosEnabled = 0xc0;

// FCR (8.5).
constexpr uint8_t kFcrEnable = 0x01;
constexpr uint8_t kFcrClearReceive = 0x02;
constexpr uint8_t kFcrDmaMode = 0x08;
constexpr uint8_t kFcrTriggerMask = 0xc0;

// LCR (8.1).
constexpr uint8_t kLcrDlab = 0x80;

// MCR (8.8).
constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kMcrOut1 = 0x04;
constexpr uint8_t kMcrOut2 = 0x08;
constexpr uint8_t kMcrLoop = 0x10;
constexpr uint8_t kMcrWritable = 0x1f;

// LSR (8.4).
constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kLsrOverrun = 0x02;
constexpr uint8_t kLsrThrEmpty = 0x20;
constexpr uint8_t kLsrTransmitterEmpty = 0x40;

// MSR (8.9): bits 4-7 are the modem inputs, bits 0-3 record their changes.
constexpr uint8_t kMsrDeltaCts = 0x01;
constexpr uint8_t kMsrDeltaDsr = 0x02;
constexpr uint8_t kMsrTrailingEdgeRi = 0x04;
constexpr uint8_t kMsrDeltaDcd = 0x08;
constexpr uint8_t kMsrCts = 0x10;
constexpr uint8_t kMsrDsr = 0x20;
constexpr uint8_t kMsrRi = 0x40;
constexpr uint8_t kMsrDcd = 0x80;
// Outside loopback the far end is a terminal that is always there and ready: CTS, DSR and
// DCD asserted, no ring (what QEMU presents too).
constexpr uint8_t kHostModemInputs = kMsrCts | kMsrDsr | kMsrDcd;

// The receive FIFO trigger levels selected by FCR bits 6-7 (8.5).
size_t trigger_level(uint8_t fifo_control) {
    constexpr size_t kLevels[] = {1, 4, 8, 14};
    return kLevels[fifo_control >> 6];
}

// The MSR delta bits for a change of modem inputs from `before` to `after` (8.9): DCTS, DDSR
// and DDCD on any change, TERI only when RI goes from on to off.
uint8_t modem_deltas(uint8_t before, uint8_t after) {
    uint8_t changed = before ^ after;
    uint8_t deltas = 0;
    if (changed & kMsrCts) deltas |= kMsrDeltaCts;
    if (changed & kMsrDsr) deltas |= kMsrDeltaDsr;
    if ((before & kMsrRi) && !(after & kMsrRi)) deltas |= kMsrTrailingEdgeRi;
    if (changed & kMsrDcd) deltas |= kMsrDeltaDcd;
    return deltas;
}

// Whether an access can change an interrupt source (Table IV): reading RBR, IIR, LSR or MSR
// and writing THR, IER, FCR or MCR can; LCR, the scratch register and reading IER or MCR
// cannot (DLAB only changes what offsets 0 and 1 reach; break is not modelled). Only the former
// need a fresh look at the interrupt line, which costs two more locks on every such exit.
bool may_change_interrupt(uint64_t offset, bool is_write) {
    if (is_write)
        return offset == kData || offset == kInterruptEnable || offset == kInterruptId || offset == kModemControl;
    return offset == kData || offset == kInterruptId || offset == kLineStatus || offset == kModemStatus;
}

}  // namespace

Serial16550::Serial16550(OutputSink output, InterruptLine interrupt_line)
        : m_output(std::move(output)), m_interrupt_line(std::move(interrupt_line)) {
    if (!m_output) throw Error(ErrorKind::Internal, "Serial16550 needs an output sink");
}

void Serial16550::read(uint64_t offset, std::span<uint8_t> data) {
    if (data.empty()) return;
    std::fill(data.begin(), data.end(), 0xff);
    {
        std::scoped_lock lock(m_mutex);
        data[0] = read_register(offset);
    }
    if (may_change_interrupt(offset, false)) update_interrupt_line();
}

void Serial16550::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty()) return;
    std::optional<uint8_t> written_to_thr;
    {
        std::scoped_lock lock(m_mutex);
        written_to_thr = write_register(offset, data[0]);
    }
    // Writing THR clears the THRE interrupt; the line drops here, and transmit() raises it
    // again once THR has emptied, so an edge-triggered interrupt controller sees a new edge.
    if (may_change_interrupt(offset, true)) update_interrupt_line();
    if (written_to_thr)
        transmit(*written_to_thr);
    else if (offset == kInterruptEnable || offset == kModemControl)
        update_transmit_deferral();
}

void Serial16550::watch_transmit_deferral(TransmitDeferral watch) {
    std::scoped_lock serialize(m_deferral_mutex);
    m_transmit_deferral = std::move(watch);
    {
        std::scoped_lock lock(m_mutex);
        m_deferrable = transmit_deferrable();
    }
    if (m_transmit_deferral) m_transmit_deferral(m_deferrable);
}

// m_mutex held.
bool Serial16550::transmit_deferrable() const {
    return (m_interrupt_enable & kIerTransmitEmpty) == 0 && (m_modem_control & kMcrLoop) == 0;
}

void Serial16550::update_transmit_deferral() {
    std::scoped_lock serialize(m_deferral_mutex);
    bool deferrable = false;
    {
        std::scoped_lock lock(m_mutex);
        deferrable = transmit_deferrable();
    }
    if (deferrable == m_deferrable) return;
    m_deferrable = deferrable;
    if (m_transmit_deferral) m_transmit_deferral(deferrable);
}

size_t Serial16550::receive(std::span<const uint8_t> bytes) {
    size_t accepted = 0;
    {
        std::scoped_lock lock(m_mutex);
        if (!host_can_send()) return 0;
        while (accepted < bytes.size() && m_receive_fifo.size() < receive_capacity())
            m_receive_fifo.push_back(bytes[accepted++]);
    }
    update_interrupt_line();
    return accepted;
}

bool Serial16550::wait_for_receive_space(std::stop_token stop) {
    std::unique_lock lock(m_mutex);
    return m_receive_space.wait(lock, stop, [this] { return host_can_send(); });
}

uint16_t Serial16550::divisor() const {
    std::scoped_lock lock(m_mutex);
    return m_divisor;
}

uint8_t Serial16550::read_register(uint64_t offset) {
    const bool dlab = m_line_control & kLcrDlab;
    switch (offset) {
        case kData: {
            if (dlab) return m_divisor & 0xff;
            if (m_receive_fifo.empty()) return 0;  // the chip would repeat stale data
            uint8_t byte = m_receive_fifo.front();
            m_receive_fifo.pop_front();
            m_receive_space.notify_all();
            return byte;
        }
        case kInterruptEnable:
            return dlab ? m_divisor >> 8 : m_interrupt_enable;
        case kInterruptId: {
            uint8_t id = interrupt_identification();
            // Table IV: reading IIR resets the THRE interrupt when it is the one IIR names.
            if (id == kIirTransmitEmpty) m_transmitter_interrupt = false;
            return id | (fifos_enabled() ? kIirFifosEnabled : 0);
        }
        case kLineControl:
            return m_line_control;
        case kModemControl:
            return m_modem_control;
        case kLineStatus: {
            uint8_t status = line_status();
            m_line_errors = 0;  // 8.4: OE, PE, FE and BI reset when the CPU reads LSR
            return status;
        }
        case kModemStatus: {
            uint8_t status = modem_inputs() | m_modem_deltas;
            m_modem_deltas = 0;  // 8.9: the delta bits reset when the CPU reads MSR
            return status;
        }
        case kScratch:
            return m_scratch;  // the Scratchpad Register: 8 bits for the programmer, no effect
        default:
            return 0xff;
    }
}

// Returns the byte when the write was to THR (the caller transmits it with the lock released).
std::optional<uint8_t> Serial16550::write_register(uint64_t offset, uint8_t value) {
    const bool dlab = m_line_control & kLcrDlab;
    switch (offset) {
        case kData:
            if (dlab) {  // 8.3: the divisor latch, any 16-bit value
                m_divisor = (m_divisor & 0xff00) | value;
                return std::nullopt;
            }
            m_transmitter_interrupt = false;  // Table IV: writing THR resets the THRE interrupt
            return value;
        case kInterruptEnable:
            if (dlab)
                m_divisor = static_cast<uint16_t>((m_divisor & 0x00ff) | (value << 8));
            else
                write_interrupt_enable(value);
            break;
        case kInterruptId:
            write_fifo_control(value);
            break;
        case kLineControl:
            m_line_control = value;  // only DLAB matters: word length, parity, stop bits are moot
            break;
        case kModemControl:
            write_modem_control(value);
            break;
        case kScratch:
            m_scratch = value;
            break;
        default:  // LSR and MSR are read-only (writing them is for factory test only, 8.4)
            break;
    }
    return std::nullopt;
}

// The transmitter shifts the byte out (at once, on our line) and THR is empty again.
void Serial16550::transmit(uint8_t byte) {
    bool to_host = false;
    {
        std::scoped_lock lock(m_mutex);
        if (m_modem_control & kMcrLoop)
            loop_back(byte);
        else
            to_host = true;
        m_transmitter_interrupt = true;
    }
    if (to_host) m_output(byte);
    update_interrupt_line();
}

void Serial16550::write_interrupt_enable(uint8_t value) {
    // Enabling ETBEI while THR is empty raises the THRE interrupt at once, as the 16550A does
    // (drivers probe for it, e.g. Linux's UART_BUG_THRE test).
    if ((value & kIerTransmitEmpty) && !(m_interrupt_enable & kIerTransmitEmpty)) m_transmitter_interrupt = true;
    m_interrupt_enable = value & 0x0f;  // 8.7: bits 4-7 are always 0
}

// 8.5: FCR0 enables both FIFOs, and changing it empties them; the other bits are programmed
// only in a write that sets FCR0. FCR2 (clear the transmit FIFO) has nothing to do: our
// transmit FIFO is always empty.
void Serial16550::write_fifo_control(uint8_t value) {
    const bool enable = value & kFcrEnable;
    if (enable != fifos_enabled()) m_receive_fifo.clear();
    if (!enable) {
        m_fifo_control &= ~kFcrEnable;
    } else {
        if (value & kFcrClearReceive) m_receive_fifo.clear();
        m_fifo_control = value & (kFcrEnable | kFcrDmaMode | kFcrTriggerMask);
    }
    m_receive_space.notify_all();
}

void Serial16550::write_modem_control(uint8_t value) {
    const uint8_t inputs_before = modem_inputs();
    m_modem_control = value & kMcrWritable;
    m_modem_deltas |= modem_deltas(inputs_before, modem_inputs());
    m_receive_space.notify_all();  // leaving loopback reconnects the line input
}

// 8.8, loopback: the transmitter's output feeds the receiver. With the receiver full, the new
// character is an overrun (8.4): in FIFO mode it is lost; without FIFOs it overwrites RBR.
void Serial16550::loop_back(uint8_t byte) {
    if (m_receive_fifo.size() < receive_capacity()) {
        m_receive_fifo.push_back(byte);
        return;
    }
    m_line_errors |= kLsrOverrun;
    if (!fifos_enabled()) m_receive_fifo.back() = byte;
}

// The highest-priority pending interrupt that IER enables (8.6, Table IV).
uint8_t Serial16550::interrupt_identification() const {
    if ((m_interrupt_enable & kIerLineStatus) && m_line_errors) return kIirLineStatus;
    if ((m_interrupt_enable & kIerReceivedData) && !m_receive_fifo.empty()) {
        // 8.10: in FIFO mode, "received data" means the trigger level is reached; below it the
        // character timeout fires after four character times without FIFO activity. Those
        // are zero time on our line, so it is pending whenever the FIFO holds any data.
        if (!fifos_enabled() || m_receive_fifo.size() >= trigger_level(m_fifo_control)) return kIirReceivedData;
        return kIirCharacterTimeout;
    }
    if ((m_interrupt_enable & kIerTransmitEmpty) && m_transmitter_interrupt) return kIirTransmitEmpty;
    if ((m_interrupt_enable & kIerModemStatus) && m_modem_deltas) return kIirModemStatus;
    return kIirNone;
}

uint8_t Serial16550::line_status() const {
    uint8_t status = kLsrThrEmpty | kLsrTransmitterEmpty | m_line_errors;
    if (!m_receive_fifo.empty()) status |= kLsrDataReady;
    return status;  // bit 7 (error in RCVR FIFO) counts PE/FE/BI, which never happen here
}

// MSR bits 4-7. 8.8: in loopback the modem inputs are disconnected and fed from MCR instead:
// DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD.
uint8_t Serial16550::modem_inputs() const {
    if (!(m_modem_control & kMcrLoop)) return kHostModemInputs;
    uint8_t inputs = 0;
    if (m_modem_control & kMcrDtr) inputs |= kMsrDsr;
    if (m_modem_control & kMcrRts) inputs |= kMsrCts;
    if (m_modem_control & kMcrOut1) inputs |= kMsrRi;
    if (m_modem_control & kMcrOut2) inputs |= kMsrDcd;
    return inputs;
}

bool Serial16550::fifos_enabled() const { return m_fifo_control & kFcrEnable; }

// 16 bytes in FIFO mode; otherwise the 1-byte receiver buffer register.
size_t Serial16550::receive_capacity() const { return fifos_enabled() ? kFifoSize : 1; }

// Hardware flow control, as a terminal set for RTS/CTS does it: the host sends only while the
// guest asserts RTS (MCR bit 1, 8.8). At reset RTS is off, so nothing arrives before the driver
// is ready, and nothing is lost when it then switches the FIFOs on, which empties them (8.5).
bool Serial16550::host_can_send() const {
    return (m_modem_control & (kMcrRts | kMcrLoop)) == kMcrRts && m_receive_fifo.size() < receive_capacity();
}

// Brings the interrupt line to the level the registers call for. On a PC the UART's interrupt
// output reaches the interrupt controller only while the OUT2 pin is active, and 8.8 forces
// the pin inactive in loopback. The level is read under m_line_mutex, so when two threads
// race the later call always delivers the latest state.
void Serial16550::update_interrupt_line() {
    if (!m_interrupt_line) return;
    std::scoped_lock line_lock(m_line_mutex);
    bool level;
    {
        std::scoped_lock lock(m_mutex);
        const bool out2_pin = (m_modem_control & (kMcrOut2 | kMcrLoop)) == kMcrOut2;
        level = out2_pin && interrupt_identification() != kIirNone;
    }
    if (level == m_line_level) return;
    m_line_level = level;
    m_interrupt_line(level);
}

}  // namespace glassvm
