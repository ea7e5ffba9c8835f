// The per-vCPU exit loop, in two builds: plain, and observed (timed, with hooks).
#include "vmm/run/vcpu_runner.hpp"
#include "base/error.hpp"

#include <algorithm>
#include <csignal>

#include <glassvm/abi.hpp>

namespace glassvm {

namespace {

int kick_signal() { return SIGRTMIN; }

// After a kick: answers the halt watch if it asked (run/halt_watch.hpp). True when this vCPU
// found every vCPU asleep for good; it then ends the VM as a HLT exit would have.
bool found_all_asleep(Vcpu& vcpu, RunLoopShared& shared) {
    if (!shared.halt_watch) return false;
    HaltWatch& watch = *shared.halt_watch;
    std::optional<uint64_t> round = watch.take_request(static_cast<size_t>(vcpu.index()));
    if (!round || shared.stop.stopping()) return false;
    if (watch.check_in(*round, asleep_for_good(vcpu)) == HaltWatch::Verdict::Resume) return false;
    // Every other vCPU is held outside KVM_RUN: a last look at each is exact.
    bool all_asleep =
        std::all_of(shared.vcpus.begin(), shared.vcpus.end(), [](const Vcpu& each) { return asleep_for_good(each); });
    watch.conclude();
    return all_asleep;
}

// The loop for a run nobody watches: nothing but KVM_RUN, decode, handle.
void run_plain(Vcpu& vcpu, RunLoopShared& shared) {
    while (!shared.stop.stopping()) {
        VmExit exit = HaltExit{};
        if (vcpu.run() == Vcpu::RunResult::Exited)
            exit = decode_exit(vcpu.run_area());
        else if (!found_all_asleep(vcpu, shared))
            continue;
        ExitOutcome outcome = shared.handler.handle(exit, vcpu);
        if (outcome.stop) {
            shared.stop.request(std::move(*outcome.stop));
            return;
        }
    }
}

void report_error(StopControl& stop, const Vcpu& vcpu, const std::exception& error) {
    stop.request({StopReason::VmmError, kExitVmmError, fmt::format("vCPU {}: {}", vcpu.index(), error.what()), {}});
}

void observed_loop(Vcpu& vcpu, RunLoopShared& shared, VcpuObserver& observer, VcpuContext& context) {
    const bool observer_may_wait = observer.may_pause();
    const CycleClock& clock = shared.clock;
    while (!shared.stop.stopping()) {
        uint64_t entered = clock.now();
        VmExit exit = HaltExit{};
        if (vcpu.run() == Vcpu::RunResult::Exited) {
            exit = decode_exit(vcpu.run_area());
        } else if (!found_all_asleep(vcpu, shared)) {
            if (!shared.stop.stopping()) observer.on_interrupted(context);
            continue;
        }
        uint64_t exited = clock.now();
        ExitEvent event{.sequence = shared.exit_sequence.fetch_add(1, std::memory_order_relaxed) + 1,
                        .vcpu = vcpu.index(),
                        .exit = exit,
                        .since_boot = clock.between(shared.boot_time, exited),
                        .in_guest = clock.between(entered, exited),
                        .rip = vcpu.exit_rip()};
        if (observer.before_exit(context, event) == ExitVerdict::Skip) continue;
        if (shared.stop.stopping()) return;  // the observer ended the VM (stepper quit)
        // Time the handling itself, not a stepper's or debugger's wait before it.
        uint64_t handling = observer_may_wait ? clock.now() : exited;
        ExitOutcome outcome = shared.handler.handle(exit, vcpu);
        // A device may end the VM too (the exit device), not only a fatal exit.
        bool stops_vm = outcome.stop.has_value() || shared.stop.stopping();
        observer.after_exit(
            context, event,
            {.device = outcome.device, .in_vmm = clock.between(handling, clock.now()), .stops_vm = stops_vm});
        if (outcome.stop) {
            shared.stop.request(std::move(*outcome.stop));
            return;
        }
    }
}

// The same loop with the clock read around KVM_RUN and the observer called at each step.
void run_observed(Vcpu& vcpu, RunLoopShared& shared) {
    VcpuObserver& observer = *shared.observer;
    VcpuContext context{vcpu, shared.memory, shared.bus, shared.stop, ::pthread_self()};
    try {
        observer.on_start(context);
        observed_loop(vcpu, shared, observer, context);
    } catch (const std::exception& error) {
        report_error(shared.stop, vcpu, error);
    }
    try {
        observer.on_finish(context);
    } catch (const std::exception& error) {
        report_error(shared.stop, vcpu, error);
    }
}

}  // namespace

void install_kick_signal_handler() {
    struct sigaction action {};
    action.sa_handler = [](int) {};  // its only job is to interrupt KVM_RUN
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
    check_syscall("sigaction", ::sigaction(kick_signal(), &action, nullptr));
}

void kick(Vcpu& vcpu, pthread_t thread) {
    // immediate_exit first: if the thread is between its stop check and KVM_RUN, the signal
    // would be lost, but KVM_RUN will see the flag and return at once.
    vcpu.request_immediate_exit();
    ::pthread_kill(thread, kick_signal());
}

void run_vcpu(Vcpu& vcpu, RunLoopShared& shared) {
    try {
        if (shared.sandbox) {
            // A debugger serves its user from this thread (and the gdb stub starts a reader
            // thread): that role has its own, wider allowlist rather than widening the vCPU's.
            bool debugged = shared.observer && shared.observer->may_pause();
            shared.sandbox->confine_this_thread(
                debugged ? sandbox::ThreadRole::DebuggedVcpu : sandbox::ThreadRole::Vcpu, vcpu.index());
        }
        if (shared.observer) {
            run_observed(vcpu, shared);
        } else {
            run_plain(vcpu, shared);
        }
    } catch (const std::exception& error) {
        report_error(shared.stop, vcpu, error);
    }
}

}  // namespace glassvm
