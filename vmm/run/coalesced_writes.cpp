// Performing the guest's queued (coalesced) writes, and switching the queueing on and off.
#include "vmm/run/coalesced_writes.hpp"

namespace glassvm {

void CoalescedWrites::set_port_queued(uint16_t port, bool queued) {
    std::scoped_lock lock(m_mutex);
    if (queued)
        m_ring->add_zone(IoEventSpace::Port, port, 1);
    else
        m_ring->remove_zone(IoEventSpace::Port, port, 1);
}

size_t CoalescedWrites::replay() {
    if (m_ring->empty()) return 0;
    std::scoped_lock lock(m_mutex);
    if (m_output) m_output->begin_batch();
    size_t performed = 0;
    try {
        performed = m_ring->drain([this](const CoalescedWrite& write) {
            m_bus.write(write.space == IoEventSpace::Port ? AddressSpace::Port : AddressSpace::Mmio, write.address,
                        write.data);
        });
    } catch (...) {
        if (m_output) m_output->end_batch();  // what was transmitted before the failure still goes out
        throw;
    }
    if (m_output) m_output->end_batch();
    m_replayed.fetch_add(performed, std::memory_order_relaxed);
    return performed;
}

}  // namespace glassvm
