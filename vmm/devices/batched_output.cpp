// BatchedOutput: gather during a batch, one write_all at its end.
#include "vmm/devices/batched_output.hpp"

#include "base/file.hpp"

namespace glassvm {

void BatchedOutput::put(uint8_t byte) {
    std::scoped_lock lock(m_mutex);
    if (m_depth > 0) {
        m_pending.push_back(byte);
        return;
    }
    write_all(m_fd, std::span<const uint8_t>(&byte, 1), "write serial output");
}

void BatchedOutput::begin_batch() {
    std::scoped_lock lock(m_mutex);
    ++m_depth;
}

void BatchedOutput::end_batch() {
    std::scoped_lock lock(m_mutex);
    if (--m_depth > 0 || m_pending.empty()) return;
    std::vector<uint8_t> bytes = std::move(m_pending);
    m_pending.clear();
    write_all(m_fd, bytes, "write serial output");
}

}  // namespace glassvm
