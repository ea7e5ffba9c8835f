// The per-vCPU exit loop: one loop, observed or not, and the kick.
#include "vmm/run/vcpu_runner.hpp"

#include <algorithm>
#include <csignal>
#include <optional>

#include <glassvm/abi.hpp>

#include "base/error.hpp"

namespace glassvm {

namespace {

int kick_signal() { return SIGRTMIN; }

// After a kick: answers the halt watch if it asked (run/halt_watch.hpp). True when this vCPU
// found every vCPU asleep for good; it then ends the VM as a HLT exit would have.
bool found_all_asleep(VirtualCpu& vcpu, RunLoopShared& shared) {
    if (!shared.halt_watch) return false;
    HaltWatch& watch = *shared.halt_watch;
    std::optional<uint64_t> round = watch.take_request(static_cast<size_t>(vcpu.index()));
    if (!round || shared.stop.stopping()) return false;
    if (watch.check_in(*round, asleep_for_good(vcpu)) == HaltWatch::Verdict::Resume) return false;
    // Every other vCPU is held outside run(): a last look at each is exact.
    bool all_asleep = std::all_of(shared.vcpus.begin(), shared.vcpus.end(),
                                  [](const VirtualCpu* each) { return asleep_for_good(*each); });
    watch.conclude();
    return all_asleep;
}

void report_error(StopControl& stop, const VirtualCpu& vcpu, const std::exception& error) {
    stop.request({StopReason::VmmError, kExitVmmError, fmt::format("vCPU {}: {}", vcpu.index(), error.what()), {}});
}

// Run, handle, repeat. With an observer the clock is read around run() and the observer is
// called before and after each exit is handled; without one, each of those steps is skipped by
// a branch on `observer` and the loop is: run, decode, handle.
void exit_loop(VirtualCpu& vcpu, RunLoopShared& shared, VcpuContext& context) {
    VcpuObserver* const observer = shared.observer;
    const bool observer_may_wait = observer && observer->may_pause();
    const CycleClock& clock = shared.clock;
    while (!shared.stop.stopping()) {
        uint64_t entered = observer ? clock.now() : 0;
        std::optional<VmExit> exit = vcpu.run();
        if (!exit) {
            if (!found_all_asleep(vcpu, shared)) {
                if (observer && !shared.stop.stopping()) observer->on_interrupted(context);
                continue;
            }
            exit = HaltExit{};
        }

        std::optional<ExitEvent> event;
        uint64_t handling = 0;
        if (observer) {
            uint64_t exited = clock.now();
            event.emplace(ExitEvent{.sequence = shared.exit_sequence.fetch_add(1, std::memory_order_relaxed) + 1,
                                    .vcpu = vcpu.index(),
                                    .exit = *exit,
                                    .since_boot = clock.between(shared.boot_time, exited),
                                    .in_guest = clock.between(entered, exited),
                                    .rip = vcpu.exit_rip()});
            if (observer->before_exit(context, *event) == ExitVerdict::Skip) continue;
            if (shared.stop.stopping()) return;  // the observer ended the VM (stepper quit)
            // Time the handling itself, not a stepper's or debugger's wait before it.
            handling = observer_may_wait ? clock.now() : exited;
        }

        ExitOutcome outcome = shared.handler.handle(*exit, vcpu);

        if (observer) {
            // A device may end the VM too (the exit device), not only a fatal exit.
            bool stops_vm = outcome.stop.has_value() || shared.stop.stopping();
            observer->after_exit(
                context, *event,
                {.device = outcome.device, .in_vmm = clock.between(handling, clock.now()), .stops_vm = stops_vm});
        }
        if (outcome.stop) {
            shared.stop.request(std::move(*outcome.stop));
            return;
        }
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

void kick(VirtualCpu& vcpu, pthread_t thread) {
    // The request first: if the thread is between its stop check and run(), the signal would
    // be lost, but run() will see the request and return at once.
    vcpu.request_exit();
    ::pthread_kill(thread, kick_signal());
}

void run_vcpu(VirtualCpu& vcpu, RunLoopShared& shared) {
    VcpuObserver* const observer = shared.observer;
    VcpuContext context{vcpu, shared.memory, shared.bus, shared.stop, ::pthread_self()};
    try {
        if (shared.sandbox) {
            // A debugger serves its user from this thread (and the gdb stub starts a reader
            // thread): that role has its own, wider allowlist rather than widening the vCPU's.
            bool debugged = observer && observer->may_pause();
            shared.sandbox->confine_this_thread(
                debugged ? sandbox::ThreadRole::DebuggedVcpu : sandbox::ThreadRole::Vcpu, vcpu.index());
        }
    } catch (const std::exception& error) {
        report_error(shared.stop, vcpu, error);
        return;
    }
    try {
        if (observer) observer->on_start(context);
        exit_loop(vcpu, shared, context);
    } catch (const std::exception& error) {
        report_error(shared.stop, vcpu, error);
    }
    if (!observer) return;
    try {
        observer->on_finish(context);
    } catch (const std::exception& error) {
        report_error(shared.stop, vcpu, error);
    }
}

}  // namespace glassvm
