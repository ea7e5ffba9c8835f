// The exit loop of one vCPU thread, the plain path every exit takes: run the vCPU until it exits
// (VirtualCpu::run), hand the exit to the ExitHandler, repeat until a stop is requested. Observers
// (trace, statistics, stepper, gdb) see each exit before and after it is handled; without one the
// loop reads no clock and calls nothing, at the cost of one branch. Also the "kick" that pulls a
// vCPU out of run() from another thread (VirtualCpu::request_exit plus a signal, for KVM's
// immediate_exit, Documentation/virt/kvm/api.rst).
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <span>

#include "vmm/accel/accelerator.hpp"
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
void kick(VirtualCpu& vcpu, pthread_t thread);

// What the exit loop of every vCPU of one VM shares.
struct RunLoopShared {
    ExitHandler& handler;
    StopControl& stop;
    const GuestMemory& memory;
    const IoBus& bus;
    VcpuObserver* observer = nullptr;  // nullptr: nobody watches, and the loop measures nothing
    CycleClock clock{0};
    uint64_t boot_time = 0;  // clock.now() before the first KVM_RUN
    std::atomic<uint64_t> exit_sequence{0};
    HaltWatch* halt_watch = nullptr;            // nullptr: HLT reaches the VMM as an exit (no irqchip)
    std::span<VirtualCpu* const> vcpus = {};    // all of the VM's vCPUs, for the halt watch's last look
    const sandbox::Sandbox* sandbox = nullptr;  // confines each vCPU thread before its first KVM_RUN
};

// Runs `vcpu` until a stop is requested (by this loop, another vCPU, a device, an observer or
// the timer). Errors become a VmmError stop report; nothing escapes the thread.
void run_vcpu(VirtualCpu& vcpu, RunLoopShared& shared);

}  // namespace glassvm
