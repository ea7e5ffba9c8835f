// Noticing a VM that can never run again: every vCPU halted with interrupts off.
//
// Without interrupt controllers in the accelerator HLT is a VM exit (HaltExit) and the exit handler
// ends the VM. With them (VirtualMachine::has_interrupt_controllers; KVM's in-kernel irqchip) the
// accelerator runs HLT itself: the vCPU sleeps inside KVM_RUN
// until an interrupt wakes it, and a guest that halts with RFLAGS.IF = 0 would sleep forever.
// So the machine looks, now and then: it kicks every vCPU out of KVM_RUN, each vCPU thread reads
// its own state (VirtualCpu::processor_state, RFLAGS) and checks in, and re-enters KVM_RUN.
//
// "Asleep for good" means halted with IF = 0 (only an NMI, INIT or SMI could wake it, and nothing
// on this machine sends those but the vCPUs themselves), or an application processor still in
// wait-for-SIPI (waiting for the INIT and SIPI that only another vCPU could send). The VM is over when all vCPUs are asleep for good at
// once. Asleep vCPUs hold outside KVM_RUN until their round is decided, so the last one to check
// in sees all the others stopped, re-reads their states (catching an INIT or NMI one of them sent
// just before it halted) and decides exactly. A vCPU found running settles the round at once and
// releases the holders, so an asleep vCPU is held for microseconds, not a polling period.
//
// The main thread looks on a backoff (1 ms, doubling to 50 ms), and starts a round only when no
// vCPU thread has used more than 5 % of a CPU since its last look (a vCPU asleep in KVM_RUN uses
// next to none, even when KVM wakes it for a timer tick it cannot take with IF = 0): a guest that
// halts at once ends within a few milliseconds, a busy guest is never kicked, and an idle one
// (halted with interrupts on, waiting for its timer) pays a kick every 50 ms.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include "vmm/accel/accelerator.hpp"
#include "vmm/run/stop.hpp"

namespace glassvm {

class HaltWatch {
public:
    explicit HaltWatch(size_t vcpu_count);

    // Monitor side: opens a new round (releasing anyone still held in an earlier one) and asks
    // every vCPU to check in; the caller then kicks them.
    void begin_round();

    // vCPU side, after KVM_RUN was interrupted: the round this vCPU was asked to check in for
    // (the request is consumed), or nothing when the kick was someone else's.
    std::optional<uint64_t> take_request(size_t vcpu);

    enum class Verdict {
        Resume,      // go back into KVM_RUN
        LastAsleep,  // every vCPU checked in asleep: confirm with all others held, then conclude()
    };
    // Reports this vCPU's state for `round`. Running: returns Resume at once. Asleep: waits until
    // the round is settled (by a running vCPU, a conclusion, a newer round or close()), except
    // for the vCPU that completes an all-asleep round, which gets LastAsleep.
    Verdict check_in(uint64_t round, bool asleep);
    // After LastAsleep: the round is decided; the held vCPUs resume (and leave, if the VM stops).
    void conclude();
    // The VM is stopping: releases every holder, now and for good.
    void close();

private:
    bool settled(uint64_t round) const { return m_closed || round != m_round || m_settled; }

    const size_t m_vcpu_count;
    std::unique_ptr<std::atomic<uint64_t>[]> m_requests;  // per vCPU: round asked, 0 = none
    std::mutex m_mutex;
    std::condition_variable m_changed;
    uint64_t m_round = 0;
    size_t m_asleep = 0;     // vCPUs that checked in asleep for m_round
    bool m_settled = false;  // m_round is decided: somebody runs, or it was concluded
    bool m_closed = false;
};

// Whether `vcpu` (stopped: outside KVM_RUN) can never run again on its own: halted with IF = 0,
// or waiting for INIT or SIPI.
bool asleep_for_good(const VirtualCpu& vcpu);

// The machine's main thread while the vCPUs run: waits for a stop report, running a halt-watch
// round on the backoff schedule, until a report arrives or `deadline` passes (then nothing).
// `housekeeping`, if set, runs at every wake-up; when it returns true (it found work, such as
// queued serial output) the schedule starts again from its shortest interval.
std::optional<StopReport> wait_watching_halts(StopControl& stop, HaltWatch& watch, std::span<VirtualCpu* const> vcpus,
                                              std::span<const pthread_t> threads,
                                              std::optional<std::chrono::steady_clock::time_point> deadline,
                                              const std::function<bool()>& housekeeping = {});

}  // namespace glassvm
