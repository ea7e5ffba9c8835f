// The per-vCPU exit loop and the kick.
#include "run/vcpu_runner.hpp"

#include <csignal>

#include <glassvm/abi.hpp>

namespace glassvm {

namespace {

int kick_signal() { return SIGRTMIN; }

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

void run_vcpu(Vcpu& vcpu, ExitHandler& handler, StopControl& stop) {
    try {
        while (!stop.stopping()) {
            if (vcpu.run() == Vcpu::RunResult::Interrupted) continue;
            if (auto report = handler.handle(decode_exit(vcpu.run_area()), vcpu)) {
                stop.request(std::move(*report));
                return;
            }
        }
    } catch (const std::exception& error) {
        stop.request({StopReason::VmmError, abi::kExitVmmError,
                      fmt::format("vCPU {}: {}", vcpu.index(), error.what()), {}});
    }
}

}  // namespace glassvm
