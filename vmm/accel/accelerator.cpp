// The "not supported" answers of the accelerator seam's optional features.
#include "vmm/accel/accelerator.hpp"

#include "base/error.hpp"

namespace glassvm {

void VirtualCpu::set_guest_debug(const GuestDebugRequest& request) {
    (void)request;
    throw Error(ErrorKind::System, "guest debugging: this accelerator does not support it");
}

void VirtualMachine::add_ioeventfd(IoEventSpace space, uint64_t address, uint32_t length, int event_fd) {
    (void)space;
    (void)address;
    (void)length;
    (void)event_fd;
    throw Error(ErrorKind::System, "ioeventfd: this accelerator does not support it");
}

}  // namespace glassvm
