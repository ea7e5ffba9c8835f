// The doorbell (abi::kDoorbellPort): a port whose one-byte writes KVM itself counts into an
// eventfd (KVM_IOEVENTFD), so the guest rings it without leaving guest mode for the VMM. The
// VMM reads the count whenever it likes. It is the kernel-side half of how virtio devices are
// notified; here it shows, next to the serial port, what an exit that never reaches userspace
// costs (scripts/bench/exits).
#pragma once

#include <cstdint>

#include "base/fd.hpp"

namespace glassvm {

class Doorbell {
public:
    // Creates the eventfd (non-blocking: reading it never waits).
    Doorbell();

    // The eventfd to register with KVM_IOEVENTFD.
    int event_fd() const { return m_event.get(); }

    // How many times the guest has rung so far: drains the eventfd's counter into the total.
    uint64_t rings();

private:
    Fd m_event;
    uint64_t m_rings = 0;
};

}  // namespace glassvm
