// The exit loop of one vCPU thread: KVM_RUN, decode the exit, hand it to the ExitHandler,
// repeat until a stop is requested. Also the "kick" that pulls a vCPU out of KVM_RUN from
// another thread (immediate_exit plus a signal, Documentation/virt/kvm/api.rst).
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <span>

#include "vmm/kvm/vcpu.hpp"
#include "vmm/run/cycle_clock.hpp"
#include "vmm/run/exit_handler.hpp"
#include "vmm/run/halt_watch.hpp"
#include "vmm/run/stop.hpp"
#include "vmm/run/vcpu_observer.hpp"
#include "vmm/sandbox/sandbox.hpp"

namespace glassvm {

// Installs the (empty) handler for the kick signal, so that the signal interrupts KVM_RUN
// with EINTR instead of killing the process. Idempotent.
void install_kick_signal_handler();

// Makes `vcpu`, running on `thread`, leave KVM_RUN promptly.
void kick(Vcpu& vcpu, pthread_t thread);

// What the exit loop of every vCPU of one VM shares.
struct RunLoopShared {
    ExitHandler& handler;
    StopControl& stop;
    const GuestMemory& memory;
    const IoBus& bus;
    VcpuObserver* observer = nullptr;  // nullptr: the unobserved loop, which measures nothing
    CycleClock clock{0};
    uint64_t boot_time = 0;  // clock.now() before the first KVM_RUN
    std::atomic<uint64_t> exit_sequence{0};
    HaltWatch* halt_watch = nullptr;            // nullptr: HLT reaches the VMM as an exit (no irqchip)
    std::span<Vcpu> vcpus = {};                 // all of the VM's vCPUs, for the halt watch's last look
    const sandbox::Sandbox* sandbox = nullptr;  // confines each vCPU thread before its first KVM_RUN
};

// Runs `vcpu` until a stop is requested (by this loop, another vCPU, a device, an observer or
// the timer). Errors become a VmmError stop report; nothing escapes the thread.
void run_vcpu(Vcpu& vcpu, RunLoopShared& shared);

}  // namespace glassvm
