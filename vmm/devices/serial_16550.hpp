// The PC serial port (COM1): a 16550A UART modelled register by register after the
// National/TI PC16550D datasheet (June 1995), so an unmodified 8250/16550 driver works with it.
//
// The line is infinitely fast: a byte written to THR is transmitted at once (to the output sink,
// or to our own receiver in loopback), so LSR.THRE and LSR.TEMT are always set and the transmit
// FIFO is always empty. Host input arrives through receive(), from another thread.
//
// Thread safety: the guest's register accesses (vCPU threads) and receive() (the host-input
// thread) may run at the same time; all register state is guarded by one mutex. The output
// sink and the interrupt-line callback are called with that mutex released.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>

#include "vmm/devices/io_device.hpp"

namespace glassvm {

class Serial16550 final : public IoDevice {
public:
    // Where transmitted bytes go (the VMM wires it to host stdout). Called on the vCPU thread
    // that wrote THR, before that guest access completes, so bytes leave in the guest's order.
    using OutputSink = std::function<void(uint8_t byte)>;
    // The UART's interrupt output as the PC wires it (through MCR.OUT2), called with the new
    // level each time it changes. Calls are serialized, and the last call always carries the
    // current level. It must not access this Serial16550.
    using InterruptLine = std::function<void(bool level)>;

    // The 16550A's receive FIFO depth (datasheet 8.5).
    static constexpr size_t kFifoSize = 16;

    // `output` must be callable; `interrupt_line` may be empty until the machine has an
    // interrupt controller.
    explicit Serial16550(OutputSink output, InterruptLine interrupt_line = {});

    std::string_view name() const override { return "serial"; }

    // The registers are 8 bits wide: an access wider than one byte acts on the register at
    // `offset` with byte 0 only; the other bytes read as 0xff and are ignored when written.
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Host input arriving on the serial line. Accepts as many leading bytes as the receiver
    // has room for (16 with FIFOs enabled, 1 without, none in loopback, where the line input
    // is disconnected, and none while the guest keeps RTS off: flow control) and returns that
    // count. Bytes not accepted are not received: the caller
    // keeps them and offers them again later, so no input is lost and the overrun error never
    // happens on this path (the flow control a real terminal would need, done for free).
    size_t receive(std::span<const uint8_t> bytes);

    // Blocks until receive() would accept at least one byte (returns true) or `stop` is
    // requested (returns false). For the host-input thread, to retry without polling.
    bool wait_for_receive_space(std::stop_token stop);

    // Whether a write to THR may take effect later than the guest made it, as when KVM queues
    // it in its coalesced-write ring instead of exiting (vmm/run/coalesced_writes.hpp): yes while
    // nothing the guest might wait for follows from a transmitted byte by itself, i.e. neither
    // the THRE interrupt (IER.ETBEI) nor loopback (MCR.LOOP) is on. The guest otherwise learns
    // of a transmission only by reading a UART register, which is an exit, before which the VMM
    // performs every queued write. With ETBEI or LOOP on, the guest may halt waiting for the
    // interrupt the byte raises, so each THR write must be performed at once.
    using TransmitDeferral = std::function<void(bool deferrable)>;

    // Calls `watch` now with the current answer, then each time it changes (on the vCPU thread
    // that changed IER or MCR, with the UART's state unlocked; calls are serialized). Set it
    // before the guest runs.
    void watch_transmit_deferral(TransmitDeferral watch);

    // The baud-rate divisor latch (DLM:DLL). Any value, 0 included, is stored and ignored:
    // our line has no speed.
    uint16_t divisor() const;

private:
    uint8_t read_register(uint64_t offset);
    std::optional<uint8_t> write_register(uint64_t offset, uint8_t value);
    void transmit(uint8_t byte);

    void write_interrupt_enable(uint8_t value);
    void write_fifo_control(uint8_t value);
    void write_modem_control(uint8_t value);
    void loop_back(uint8_t byte);

    uint8_t interrupt_identification() const;
    uint8_t line_status() const;
    uint8_t modem_inputs() const;
    bool fifos_enabled() const;
    size_t receive_capacity() const;
    bool host_can_send() const;
    void update_interrupt_line();
    void update_transmit_deferral();
    bool transmit_deferrable() const;

    const OutputSink m_output;
    const InterruptLine m_interrupt_line;

    mutable std::mutex m_mutex;                   // guards everything below but the line
    std::condition_variable_any m_receive_space;  // notified when receive() may accept again
    std::deque<uint8_t> m_receive_fifo;           // RBR, or the receive FIFO in FIFO mode
    uint16_t m_divisor = 0;                       // DLM:DLL; the chip's power-up value is undefined
    uint8_t m_interrupt_enable = 0;
    uint8_t m_fifo_control = 0;  // FCR bits 0, 3, 6-7 as last programmed
    uint8_t m_line_control = 0;
    uint8_t m_modem_control = 0;
    uint8_t m_line_errors = 0;   // LSR bits 1-4 since LSR was last read (only OE occurs)
    uint8_t m_modem_deltas = 0;  // MSR bits 0-3 since MSR was last read
    uint8_t m_scratch = 0;
    bool m_transmitter_interrupt = true;  // THR empty and not yet acknowledged (Table IV)

    std::mutex m_line_mutex;  // serializes m_interrupt_line calls; taken before m_mutex
    bool m_line_level = false;

    std::mutex m_deferral_mutex;  // serializes m_transmit_deferral calls; taken before m_mutex
    TransmitDeferral m_transmit_deferral;
    bool m_deferrable = true;  // as last reported
};

}  // namespace glassvm
