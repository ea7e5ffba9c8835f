// Low-level driver for the 16550A UART on COM1: transmit polled, receive by interrupt.
// Register map and bits: TI/National PC16550D datasheet, "Register Description" (Table 2).
#include "kernel.hpp"
#include "spinlock.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constexpr uint16_t kBase = abi::kSerialPort;

// Register offsets from the base port.
constexpr uint16_t kData = 0;             // THR (write); DLL, divisor low, while LCR.DLAB = 1
constexpr uint16_t kInterruptEnable = 1;  // IER; DLM, divisor high, while LCR.DLAB = 1
constexpr uint16_t kFifoControl = 2;      // FCR (write-only)
constexpr uint16_t kLineControl = 3;      // LCR
constexpr uint16_t kModemControl = 4;     // MCR
constexpr uint16_t kLineStatus = 5;       // LSR

constexpr uint8_t kLcrWordLength8 = 0x03;   // 8 data bits, no parity, 1 stop bit (8N1)
constexpr uint8_t kLcrDivisorLatch = 0x80;  // DLAB: offsets 0 and 1 address the divisor
constexpr uint8_t kFcrEnable = 0x01;
constexpr uint8_t kFcrClearReceive = 0x02;
constexpr uint8_t kFcrClearTransmit = 0x04;
constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kMcrOut2 = 0x08;           // on a PC, connects the UART's interrupt to IRQ 4
constexpr uint8_t kIerReceivedData = 0x01;   // ERBFI: interrupt while received data waits
constexpr uint8_t kLsrDataReady = 0x01;      // DR: RBR (or the receive FIFO) holds a byte
constexpr uint8_t kLsrTransmitEmpty = 0x20;  // THRE: in FIFO mode, the transmit FIFO is empty

// Baud = 1.8432 MHz crystal / (16 × divisor); divisor 1 gives 115200.
constexpr uint16_t kDivisor115200 = 1;
constexpr size_t kFifoDepth = 16;

// Several CPUs may print at once; one writer at a time keeps lines whole and the FIFO count true.
Spinlock transmit_lock;

void write_register(uint16_t offset, uint8_t value) { x86::out8(kBase + offset, value); }
uint8_t read_register(uint16_t offset) { return x86::in8(kBase + offset); }

}  // namespace

void serial_init() {
    write_register(kInterruptEnable, 0);  // no interrupts until the interrupt path is set up
    write_register(kLineControl, kLcrDivisorLatch);
    write_register(kData, uint8_t(kDivisor115200));
    write_register(kInterruptEnable, uint8_t(kDivisor115200 >> 8));
    write_register(kLineControl, kLcrWordLength8);
    write_register(kFifoControl, kFcrEnable | kFcrClearReceive | kFcrClearTransmit);
    // RTS last: a sender doing flow control waits for it, so nothing arrives before the FIFOs
    // are on (switching them on empties them, datasheet §8.5).
    write_register(kModemControl, kMcrDtr | kMcrRts | kMcrOut2);
}

// Datasheet §8.7: with ERBFI set, received data (or, below the FIFO's trigger level, the
// character timeout) raises the interrupt until RBR is read empty. Transmission stays polled.
void serial_enable_receive_interrupt() { write_register(kInterruptEnable, kIerReceivedData); }

// Reading RBR until LSR.DR clears empties the receiver, which also lowers the interrupt line;
// the next byte raises it again: a new edge for the edge-triggered I/O APIC input.
void serial_drain(void (*sink)(char byte)) {
    while (read_register(kLineStatus) & kLsrDataReady) sink(char(read_register(kData)));
}

// Polled transmission in bursts of one FIFO-full: write up to 16 bytes, then wait until the
// UART has sent them (LSR.THRE: the transmit FIFO is empty again), as Linux's 8250 console
// does after each message. Every access to the UART is a VM exit (~11 µs on our development
// host), and a VMM may queue THR writes without one (glassvm does: KVM's coalesced ring), so
// a burst costs one exit, its LSR poll. Waiting after the burst, not before it, also means a
// message has left the UART when print returns, even if the kernel halts next. The FIFO is
// empty whenever the lock is free: serial_init empties it, and every writer leaves it so.
void serial_write(const char* data, size_t length) {
    LockGuard guard(transmit_lock);
    while (length > 0) {
        size_t burst = length < kFifoDepth ? length : kFifoDepth;
        length -= burst;
        // `rep outsb`: the whole burst to THR in one instruction.
        asm volatile("rep outsb" : "+S"(data), "+c"(burst) : "d"(kBase + kData) : "memory");
        while ((x86::in8(kBase + kLineStatus) & kLsrTransmitEmpty) == 0) {}
    }
}

}  // namespace glassvm::guest
