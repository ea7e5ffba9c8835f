// The VMM's side of the accelerator's coalesced-write queue (CoalescedWriteQueue, KVM's ring): which device registers
// KVM may queue writes to instead of exiting, and performing the queued writes on the I/O bus in
// the guest's order. They are performed before every exit is handled (so no guest access ever
// sees a device that lags the guest's own earlier writes), by the main thread now and then (so
// serial output appears while the guest runs without exits), and once more when the VM ends.
//
// glassvm queues only THR, the 16550's transmit register, and only while the UART says a late
// transmission cannot be noticed (Serial16550::TransmitDeferral). A guest printing a line then
// pays one exit per burst (its poll of LSR) instead of one per byte.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "vmm/accel/accelerator.hpp"
#include "vmm/devices/batched_output.hpp"
#include "vmm/devices/io_bus.hpp"

namespace glassvm {

class CoalescedWrites {
public:
    // `output` (may be null) is told when a replay starts and ends, so that the bytes a replay
    // transmits leave in one write.
    CoalescedWrites(std::unique_ptr<CoalescedWriteQueue> ring, IoBus& bus, BatchedOutput* output = nullptr)
            : m_ring(std::move(ring)), m_bus(bus), m_output(output) {}

    // Starts or stops queueing writes to port `port` (one byte wide). Writes already queued are
    // performed by the next replay() as usual.
    void set_port_queued(uint16_t port, bool queued);

    // Performs every queued write, oldest first; returns how many. Any thread.
    size_t replay();

    // How many writes replay() has performed so far.
    uint64_t replayed() const { return m_replayed.load(std::memory_order_relaxed); }

private:
    std::mutex m_mutex;  // one consumer of the ring at a time, and zone changes in order
    std::unique_ptr<CoalescedWriteQueue> m_ring;
    IoBus& m_bus;
    BatchedOutput* const m_output;
    std::atomic<uint64_t> m_replayed{0};
};

}  // namespace glassvm
