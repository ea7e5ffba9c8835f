// The serial port's host side: the bytes the guest transmits, written to a host descriptor.
// One at a time they go out at once; inside a batch — while glassvm performs the writes KVM
// queued for THR (run/coalesced_writes.hpp) — they are gathered and go out in one write(2) when
// the batch ends. A 100-byte banner used to cost 100 system calls.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace glassvm {

class BatchedOutput {
public:
    explicit BatchedOutput(int fd) : m_fd(fd) {}

    // A transmitted byte: written now, or at the end of the batch in progress. Any thread;
    // bytes leave in the order they arrive here. Throws Error when the write fails.
    void put(uint8_t byte);

    // Batches nest; the outermost end writes what was gathered. Throws Error when that fails.
    void begin_batch();
    void end_batch();

private:
    const int m_fd;
    std::mutex m_mutex;
    int m_depth = 0;
    std::vector<uint8_t> m_pending;
};

}  // namespace glassvm
