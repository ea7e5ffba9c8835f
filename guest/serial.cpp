// Low-level driver for the 16550A UART on COM1: polled, transmit only.
// Register map and bits: TI/National PC16550D datasheet, "Register Description" (Table 2).
#include "kernel.hpp"
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

constexpr uint8_t kLcrWordLength8 = 0x03;  // 8 data bits, no parity, 1 stop bit (8N1)
constexpr uint8_t kLcrDivisorLatch = 0x80; // DLAB: offsets 0 and 1 address the divisor
constexpr uint8_t kFcrEnable = 0x01;
constexpr uint8_t kFcrClearReceive = 0x02;
constexpr uint8_t kFcrClearTransmit = 0x04;
constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kLsrTransmitEmpty = 0x20; // THRE: in FIFO mode, the transmit FIFO is empty

// Baud = 1.8432 MHz crystal / (16 × divisor); divisor 1 gives 115200.
constexpr uint16_t kDivisor115200 = 1;
constexpr size_t kFifoDepth = 16;

void write_register(uint16_t offset, uint8_t value) { x86::out8(kBase + offset, value); }

}  // namespace

void serial_init() {
    write_register(kInterruptEnable, 0);  // polled: no interrupts
    write_register(kLineControl, kLcrDivisorLatch);
    write_register(kData, uint8_t(kDivisor115200));
    write_register(kInterruptEnable, uint8_t(kDivisor115200 >> 8));
    write_register(kLineControl, kLcrWordLength8);
    write_register(kFifoControl, kFcrEnable | kFcrClearReceive | kFcrClearTransmit);
    write_register(kModemControl, kMcrDtr | kMcrRts);
}

// Every port access is a VM exit (~11 µs here), so poll LSR once per FIFO-full of bytes rather
// than once per byte: once THRE says the FIFO is empty, 16 bytes fit without another look.
void serial_write(const char* data, size_t length) {
    while (length > 0) {
        while ((x86::in8(kBase + kLineStatus) & kLsrTransmitEmpty) == 0) {
        }
        size_t burst = length < kFifoDepth ? length : kFifoDepth;
        length -= burst;
        // `rep outsb`: the whole burst to THR in one instruction (each byte is still one exit).
        asm volatile("rep outsb" : "+S"(data), "+c"(burst) : "d"(kBase + kData) : "memory");
    }
}

}  // namespace glassvm::guest
