// Unit tests for the 16550A UART model: the register semantics a guest driver relies on.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "vmm/devices/serial_16550.hpp"

using glassvm::Serial16550;

namespace {

// Register offsets and bits, spelled out as a guest driver would.
constexpr uint64_t kData = 0, kIer = 1, kIir = 2, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7;
constexpr uint8_t kDlab = 0x80;
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10;

// A UART with its output and interrupt line recorded.
struct Uart {
    std::vector<uint8_t> output;
    std::vector<bool> line;
    Serial16550 serial{[this](uint8_t byte) { output.push_back(byte); }, [this](bool level) { line.push_back(level); }};

    uint8_t in(uint64_t offset) {
        uint8_t value = 0;
        serial.read(offset, {&value, 1});
        return value;
    }
    void out(uint64_t offset, uint8_t value) { serial.write(offset, {&value, 1}); }
    size_t receive(std::vector<uint8_t> bytes) { return serial.receive(bytes); }
};

}  // namespace

TEST_CASE("serial: reset state matches the datasheet's Table III", "[serial]") {
    Uart uart;
    CHECK(uart.serial.name() == "serial");
    CHECK(uart.in(kIer) == 0x00);
    CHECK(uart.in(kIir) == 0x01);
    CHECK(uart.in(kLcr) == 0x00);
    CHECK(uart.in(kMcr) == 0x00);
    CHECK(uart.in(kLsr) == (kLsrThre | kLsrTemt));
    CHECK(uart.line.empty());
}

TEST_CASE("serial: THR bytes go to the sink, and THRE and TEMT stay set", "[serial]") {
    Uart uart;
    for (uint8_t byte : {'o', 'k', '\n'}) uart.out(kData, byte);
    CHECK(uart.output == std::vector<uint8_t>{'o', 'k', '\n'});
    CHECK(uart.in(kLsr) == (kLsrThre | kLsrTemt));
}

TEST_CASE("serial: DLAB switches offsets 0 and 1 to the divisor latch", "[serial]") {
    Uart uart;
    uart.out(kIer, 0x05);
    uart.out(kLcr, kDlab | 0x03);
    uart.out(kData, 0x0c);  // DLL
    uart.out(kIer, 0x01);   // DLM
    CHECK(uart.serial.divisor() == 0x010c);
    CHECK(uart.in(kData) == 0x0c);
    CHECK(uart.in(kIer) == 0x01);
    CHECK(uart.output.empty());  // a DLL write is not a THR write

    uart.out(kLcr, 0x03);
    CHECK(uart.in(kLcr) == 0x03);
    CHECK(uart.in(kIer) == 0x05);  // IER was kept while the latch was visible
    CHECK(uart.serial.divisor() == 0x010c);

    SECTION("a zero divisor is stored and harmless") {
        uart.out(kLcr, kDlab);
        uart.out(kData, 0);
        uart.out(kIer, 0);
        uart.out(kLcr, 0);
        CHECK(uart.serial.divisor() == 0);
        uart.out(kData, 'x');
        CHECK(uart.output == std::vector<uint8_t>{'x'});
    }
}

TEST_CASE("serial: IER keeps only its four defined bits", "[serial]") {
    Uart uart;
    uart.out(kIer, 0xff);
    CHECK(uart.in(kIer) == 0x0f);
}

TEST_CASE("serial: the scratch register holds any byte", "[serial]") {
    Uart uart;
    for (uint8_t value : {0x00, 0x5a, 0xa5, 0xff}) {
        uart.out(kScr, value);
        CHECK(uart.in(kScr) == value);
    }
}

TEST_CASE("serial: the THRE interrupt clears on IIR read and re-arms on THR write", "[serial]") {
    Uart uart;
    uart.out(kIer, 0x02);  // ETBEI, with THR empty: pending at once
    CHECK(uart.in(kIir) == 0x02);
    CHECK(uart.in(kIir) == 0x01);  // the read acknowledged it
    uart.out(kData, 'a');          // THR written, then empty again
    CHECK(uart.in(kIir) == 0x02);
    CHECK(uart.in(kIir) == 0x01);

    SECTION("re-enabling ETBEI with THR empty raises it again") {
        uart.out(kIer, 0x00);
        uart.out(kIer, 0x02);
        CHECK(uart.in(kIir) == 0x02);
    }
}

TEST_CASE("serial: receiving fills RBR, sets DR and raises the data interrupt", "[serial]") {
    Uart uart;
    CHECK(uart.receive({'h'}) == 0);  // RTS off: the host holds its input back
    uart.out(kMcr, kMcrRts);
    CHECK(uart.receive({'h', 'i'}) == 1);  // FIFOs off: a 1-byte holding register
    CHECK((uart.in(kLsr)&kLsrDr) != 0);
    CHECK(uart.in(kIir) == 0x01);  // ERBFI is off
    uart.out(kIer, 0x01);
    CHECK(uart.in(kIir) == 0x04);
    CHECK(uart.in(kData) == 'h');
    CHECK((uart.in(kLsr)&kLsrDr) == 0);
    CHECK(uart.in(kIir) == 0x01);
    CHECK(uart.receive({'i'}) == 1);
    CHECK(uart.in(kData) == 'i');
}

TEST_CASE("serial: IIR names the highest-priority source", "[serial]") {
    Uart uart;
    uart.out(kIer, 0x0f);  // every source enabled
    uart.out(kMcr, kMcrLoop | kMcrDtr);
    // Pending now: THRE (ETBEI rising) and modem status (CTS and DCD dropped in loopback).
    uart.out(kData, 'a');  // looped back: received data
    uart.out(kData, 'b');  // receiver full, no FIFOs: overrun, a line status interrupt
    CHECK(uart.in(kIir) == 0x06);
    CHECK(uart.in(kLsr) == (kLsrDr | kLsrOe | kLsrThre | kLsrTemt));  // clears OE
    CHECK(uart.in(kIir) == 0x04);
    CHECK(uart.in(kData) == 'b');      // the overrun overwrote RBR
    CHECK(uart.in(kIir) == 0x02);      // reading it acknowledges THRE...
    CHECK(uart.in(kIir) == 0x00);      // ...which uncovers modem status
    CHECK((uart.in(kMsr)&0x0f) != 0);  // reading MSR clears it
    CHECK(uart.in(kIir) == 0x01);
}

TEST_CASE("serial: FCR enables the FIFOs, IIR shows it, FCR1 clears the receive FIFO", "[serial]") {
    Uart uart;
    uart.out(kMcr, kMcrRts);
    uart.out(kFcr, 0x01);
    CHECK((uart.in(kIir)&0xc0) == 0xc0);
    CHECK(uart.in(kIir) == 0xc1);

    std::vector<uint8_t> twenty(20, 'x');
    CHECK(uart.receive(twenty) == Serial16550::kFifoSize);
    CHECK(uart.receive({'y'}) == 0);  // full: refused, not lost and no overrun
    CHECK((uart.in(kLsr)&kLsrOe) == 0);
    CHECK(uart.in(kData) == 'x');
    CHECK(uart.receive({'y', 'z'}) == 1);  // room for exactly one

    uart.out(kFcr, 0x03);  // FIFOs on, clear the receive FIFO
    CHECK((uart.in(kLsr)&kLsrDr) == 0);
    CHECK(uart.receive(twenty) == Serial16550::kFifoSize);

    SECTION("turning the FIFOs off empties them and leaves a 1-byte RBR") {
        uart.out(kFcr, 0x00);
        CHECK(uart.in(kIir) == 0x01);
        CHECK((uart.in(kLsr)&kLsrDr) == 0);
        CHECK(uart.receive({'a', 'b'}) == 1);
    }
}

TEST_CASE("serial: the receive trigger level picks data-available over timeout", "[serial]") {
    Uart uart;
    uart.out(kMcr, kMcrRts);
    uart.out(kFcr, 0x41);  // FIFOs on, trigger level 4
    uart.out(kIer, 0x01);
    uart.receive({'1', '2', '3'});
    CHECK(uart.in(kIir) == 0xcc);  // below the trigger: character timeout
    uart.receive({'4'});
    CHECK(uart.in(kIir) == 0xc4);  // at the trigger: received data available
    uart.in(kData);
    CHECK(uart.in(kIir) == 0xcc);
    for (int i = 0; i < 3; ++i) uart.in(kData);
    CHECK(uart.in(kIir) == 0xc1);

    SECTION("re-enabling the FIFOs reprograms the trigger level") {
        uart.out(kFcr, 0xc0);  // FCR0 clear: FIFOs off (and emptied)
        uart.out(kFcr, 0x01);  // FIFOs on again, trigger bits 0: level 1
        uart.receive({'a'});
        CHECK(uart.in(kIir) == 0xc4);
    }
}

TEST_CASE("serial: loopback sends THR to the receiver and MCR to MSR", "[serial]") {
    Uart uart;
    uart.out(kFcr, 0x01);
    uart.out(kMcr, kMcrLoop);
    uart.in(kMsr);  // clear the deltas from entering loopback
    for (uint8_t byte : {'l', 'o', 'o', 'p'}) uart.out(kData, byte);
    CHECK(uart.output.empty());
    CHECK(uart.receive({'h'}) == 0);  // the line input is disconnected in loopback
    for (uint8_t byte : {'l', 'o', 'o', 'p'}) CHECK(uart.in(kData) == byte);

    uart.out(kMcr, kMcrLoop | kMcrDtr);
    CHECK(uart.in(kMsr) == (0x20 | 0x02));  // DSR, delta DSR
    CHECK(uart.in(kMsr) == 0x20);           // deltas clear on read
    uart.out(kMcr, kMcrLoop | kMcrRts);
    CHECK(uart.in(kMsr) == (0x10 | 0x02 | 0x01));  // CTS; DSR fell, CTS rose
    uart.out(kMcr, kMcrLoop | kMcrOut1);
    CHECK(uart.in(kMsr) == (0x40 | 0x01));  // RI; CTS fell; RI rising is no TERI
    uart.out(kMcr, kMcrLoop | kMcrOut2);
    CHECK(uart.in(kMsr) == (0x80 | 0x08 | 0x04));  // DCD; delta DCD; trailing edge of RI

    uart.out(kMcr, 0);
    CHECK((uart.in(kMsr)&0xf0) == 0xb0);  // back to the host: CTS, DSR, DCD
    uart.out(kData, '!');
    CHECK(uart.output == std::vector<uint8_t>{'!'});
    CHECK(uart.receive({'h'}) == 0);  // RTS is off
    uart.out(kMcr, kMcrRts);
    CHECK(uart.receive({'h'}) == 1);
}

TEST_CASE("serial: loopback overrun in FIFO mode keeps the FIFO and sets OE", "[serial]") {
    Uart uart;
    uart.out(kFcr, 0x01);
    uart.out(kMcr, kMcrLoop);
    for (int i = 0; i < 17; ++i) uart.out(kData, static_cast<uint8_t>('a' + i));
    CHECK((uart.in(kLsr)&kLsrOe) != 0);
    CHECK((uart.in(kLsr)&kLsrOe) == 0);  // cleared by the first read
    for (int i = 0; i < 16; ++i) CHECK(uart.in(kData) == 'a' + i);
    CHECK((uart.in(kLsr)&kLsrDr) == 0);
}

TEST_CASE("serial: the interrupt line is gated by OUT2 and follows the sources", "[serial]") {
    Uart uart;
    uart.out(kIer, 0x01);
    uart.out(kMcr, kMcrRts);
    uart.receive({'a'});
    CHECK(uart.line.empty());  // pending, but OUT2 is off
    uart.out(kMcr, kMcrRts | kMcrOut2);
    CHECK(uart.line == std::vector<bool>{true});
    uart.in(kData);
    CHECK(uart.line == std::vector<bool>{true, false});
    uart.receive({'b'});
    CHECK(uart.line == std::vector<bool>{true, false, true});
    uart.out(kMcr, 0);
    CHECK(uart.line == std::vector<bool>{true, false, true, false});

    SECTION("a THR write pulses the THRE interrupt, giving an edge-triggered PIC an edge") {
        uart.in(kData);
        uart.out(kMcr, kMcrOut2);
        uart.out(kIer, 0x02);
        uart.line.clear();
        uart.out(kData, 'x');
        CHECK(uart.line == std::vector<bool>{false, true});
    }
    SECTION("loopback forces the OUT2 pin inactive") {
        uart.out(kMcr, kMcrOut2);  // 'b' is still waiting in RBR
        CHECK(uart.line.back() == true);
        uart.out(kMcr, kMcrOut2 | kMcrLoop);
        CHECK(uart.line.back() == false);
    }
}

TEST_CASE("serial: wide accesses use byte 0 and read the rest as 0xff", "[serial]") {
    Uart uart;
    uint8_t wide[4] = {0x42, 0x11, 0x22, 0x33};
    uart.serial.write(kScr, wide);
    CHECK(uart.in(kScr) == 0x42);
    uart.serial.write(kData, wide);
    CHECK(uart.output == std::vector<uint8_t>{0x42});

    uint8_t read_back[2] = {0, 0};
    uart.serial.read(kLsr, read_back);
    CHECK(read_back[0] == (kLsrThre | kLsrTemt));
    CHECK(read_back[1] == 0xff);
}

TEST_CASE("serial: wait_for_receive_space returns at once with room, false on stop", "[serial]") {
    Uart uart;
    uart.out(kMcr, kMcrRts);
    std::stop_source stop;
    CHECK(uart.serial.wait_for_receive_space(stop.get_token()));
    uart.receive({'a'});  // the 1-byte RBR is now full
    stop.request_stop();
    CHECK_FALSE(uart.serial.wait_for_receive_space(stop.get_token()));
}

TEST_CASE("serial: an empty output sink is a programming error", "[serial]") {
    CHECK_THROWS_AS(Serial16550(Serial16550::OutputSink{}), glassvm::Error);
}

TEST_CASE("serial: the line follows IIR: a read of IIR that acknowledges THRE lowers it", "[serial]") {
    Uart uart;
    uart.out(kMcr, kMcrOut2);
    uart.out(kIer, 0x02);  // ETBEI with THR empty: pending, the line rises
    CHECK(uart.line == std::vector<bool>{true});
    CHECK(uart.in(kIir) == 0x02);
    CHECK(uart.line == std::vector<bool>{true, false});

    SECTION("received data outranks THRE and keeps the line up until RBR is read") {
        uart.out(kIer, 0x03);
        uart.out(kMcr, kMcrOut2 | kMcrRts);
        uart.out(kData, 'x');  // THRE pending again
        uart.receive({'y'});
        CHECK(uart.in(kIir) == 0x04);  // data first; THRE is not acknowledged by this read
        CHECK(uart.line.back() == true);
        CHECK(uart.in(kData) == 'y');
        CHECK(uart.line.back() == true);  // THRE still pending
        CHECK(uart.in(kIir) == 0x02);
        CHECK(uart.line.back() == false);
    }
}

TEST_CASE("serial: input from another thread leaves the line at the registers' level", "[serial]") {
    Uart uart;
    uart.out(kFcr, 0x01);  // FIFOs on
    uart.out(kIer, 0x01);
    uart.out(kMcr, kMcrOut2 | kMcrRts);
    std::vector<uint8_t> received;
    std::thread pump([&] {
        for (int i = 0; i < 2000; ++i) {
            uint8_t byte = uint8_t(i);
            while (uart.serial.receive({&byte, 1}) == 0) std::this_thread::yield();
        }
    });
    while (received.size() < 2000) {
        if (uart.in(kLsr)&kLsrDr) received.push_back(uart.in(kData));
    }
    pump.join();
    for (size_t i = 0; i < received.size(); ++i) REQUIRE(received[i] == uint8_t(i));
    // Everything read: no source pending, so the last level the line was driven to is low.
    CHECK(uart.in(kIir) == 0xc1);
    CHECK(uart.line.back() == false);
}

TEST_CASE("serial: host input waits for RTS, and raising RTS wakes the waiting sender", "[serial]") {
    Uart uart;
    CHECK(uart.receive({'a'}) == 0);
    std::stop_source stop;
    std::thread raise([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        uart.out(kMcr, kMcrRts);
    });
    CHECK(uart.serial.wait_for_receive_space(stop.get_token()));
    raise.join();
    CHECK(uart.receive({'a'}) == 1);
}

TEST_CASE("serial: THR writes may be deferred only while neither the THRE interrupt nor loopback is on", "[serial]") {
    Serial16550 uart([](uint8_t) {});
    std::vector<bool> reports;
    uart.watch_transmit_deferral([&](bool deferrable) { reports.push_back(deferrable); });
    REQUIRE(reports == std::vector<bool>{true});  // at reset: IER = 0, MCR = 0

    auto write = [&](uint64_t offset, uint8_t value) { uart.write(offset, std::span<const uint8_t>(&value, 1)); };
    write(1, 0x01);  // IER: received-data interrupt only
    CHECK(reports.size() == 1);
    write(1, 0x03);  // IER: and ETBEI, the THRE interrupt
    CHECK(reports == std::vector<bool>{true, false});
    write(1, 0x01);
    CHECK(reports == std::vector<bool>{true, false, true});
    write(4, 0x10);  // MCR: loopback
    CHECK(reports == std::vector<bool>{true, false, true, false});
    write(4, 0x0b);  // MCR: DTR, RTS, OUT2
    CHECK(reports == std::vector<bool>{true, false, true, false, true});
    write(3, 0x80);  // LCR.DLAB: offset 1 is now DLM, not IER
    write(1, 0x02);
    CHECK(reports.size() == 5);
}
