// What the exit stepper prints about an exit: one line with its sequence, vCPU, reason and
// details (the registers: x86/registers.hpp). Pure formatting: unit-testable with made-up values.
#pragma once

#include <linux/kvm.h>

#include <string>

#include "vmm/devices/io_bus.hpp"
#include "vmm/run/vcpu_observer.hpp"

namespace glassvm {

// "exit #3 on vCPU 0 at 1.234 ms (11 µs in the guest): IO out port=0xf4 size=1 data=0x7 -> exit"
std::string describe_exit_event(const ExitEvent& event, const IoBus& bus);
// The part after the colon above: the exit in the exit trace's words (exit_format.hpp) and the
// device the bus will hand it to. A read's data is not known before it is handled.
std::string describe_exit_details(const VmExit& exit, const IoBus& bus);

}  // namespace glassvm
