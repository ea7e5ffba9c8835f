// Watching a vCPU's exits from inside its exit loop: the hook the exit trace, the exit
// statistics, the interactive stepper and the GDB stub all plug into. With no observer the loop
// reads no clock and calls nothing (run/vcpu_runner.hpp), so unobserved runs pay one branch per exit.
//
// Every callback runs on the vCPU's own thread while the vCPU is stopped, so an observer may
// read and change its registers and guest memory, and may block (the stepper waits for a
// command there). An observer shared by several vCPUs guards its own state.
#pragma once

#include <pthread.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "vmm/accel/accelerator.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/accel/vm_exit.hpp"
#include "vmm/devices/io_bus.hpp"
#include "vmm/run/stop.hpp"

namespace glassvm {

// What an observer may reach while its vCPU is stopped.
struct VcpuContext {
    VirtualCpu& vcpu;
    const GuestMemory& memory;
    const IoBus& bus;
    StopControl& stop;
    pthread_t thread;  // the vCPU thread, for kick() from other threads

    // Guest-virtual → guest-physical through the vCPU's current page tables.
    std::optional<uint64_t> translate(uint64_t virtual_address) const;
    // From any thread: make the vCPU leave KVM_RUN; the loop then calls on_interrupted().
    void kick();
};

// One exit as it reaches the VMM.
struct ExitEvent {
    uint64_t sequence;  // 1, 2, 3… across the whole VM
    int vcpu;
    const VmExit& exit;
    std::chrono::nanoseconds since_boot;  // when KVM_RUN returned, from the VM's first KVM_RUN
    std::chrono::nanoseconds in_guest;    // how long that KVM_RUN ran
    uint64_t rip;                         // the guest's RIP at the exit
};

// What handling the exit did.
struct HandledExit {
    const IoDevice* device;           // who handled it; nullptr for unmapped or fatal exits
    std::chrono::nanoseconds in_vmm;  // from KVM_RUN's return to the end of handling
    bool stops_vm;
};

enum class ExitVerdict {
    Handle,  // let the exit handler do its job
    Skip,    // the observer has dealt with this exit (a debug exit the GDB stub consumed)
};

class VcpuObserver {
public:
    virtual ~VcpuObserver() = default;
    // True for observers that may stop the vCPU in before_exit to wait for a person (the
    // stepper, the GDB stub); the loop then times handling separately from that wait.
    virtual bool may_pause() const { return false; }
    // Before the vCPU's first instruction (the GDB stub waits for its client here).
    virtual void on_start(VcpuContext&) {}
    // After an exit reached the VMM, before it is handled.
    virtual ExitVerdict before_exit(VcpuContext&, const ExitEvent&) { return ExitVerdict::Handle; }
    // After the exit was handled (not called for skipped exits).
    virtual void after_exit(VcpuContext&, const ExitEvent&, const HandledExit&) {}
    // KVM_RUN was interrupted by kick() while no stop was requested.
    virtual void on_interrupted(VcpuContext&) {}
    // The vCPU's exit loop is over: the stop report is set (context.stop.wait() returns it at
    // once) and the machine still exists. Called on the vCPU thread, also after an error.
    virtual void on_finish(VcpuContext&) {}
};

}  // namespace glassvm
