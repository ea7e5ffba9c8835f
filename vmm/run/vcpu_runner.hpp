// The exit loop of one vCPU thread: KVM_RUN, decode the exit, hand it to the ExitHandler,
// repeat until a stop is requested. Also the "kick" that pulls a vCPU out of KVM_RUN from
// another thread (immediate_exit plus a signal, Documentation/virt/kvm/api.rst).
#pragma once

#include <pthread.h>

#include "kvm/vcpu.hpp"
#include "run/exit_handler.hpp"
#include "run/stop.hpp"

namespace glassvm {

// Installs the (empty) handler for the kick signal, so that the signal interrupts KVM_RUN
// with EINTR instead of killing the process. Idempotent.
void install_kick_signal_handler();

// Makes `vcpu`, running on `thread`, leave KVM_RUN promptly.
void kick(Vcpu& vcpu, pthread_t thread);

// Runs `vcpu` until `stop` is requested (by this loop, another vCPU, a device or the timer).
// Errors become a VmmError stop report; nothing escapes the thread.
void run_vcpu(Vcpu& vcpu, ExitHandler& handler, StopControl& stop);

}  // namespace glassvm
