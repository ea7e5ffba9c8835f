// Blocking, waiting for and resetting the signals a box forwards.
#include "container/signals.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/error.hpp"

namespace glassvm::container {

namespace {
constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
}

sigset_t supervised_signals() {
    sigset_t set;
    ::sigemptyset(&set);
    for (int signal_number : kForwarded) ::sigaddset(&set, signal_number);
    ::sigaddset(&set, SIGCHLD);
    return set;
}

BlockedSignals::BlockedSignals() {
    sigset_t set = supervised_signals();
    if (int error = ::pthread_sigmask(SIG_BLOCK, &set, &m_previous); error != 0)
        throw Error::from_errno("pthread_sigmask", error);
}

BlockedSignals::~BlockedSignals() { ::pthread_sigmask(SIG_SETMASK, &m_previous, nullptr); }

int wait_for_signal() {
    sigset_t set = supervised_signals();
    for (;;) {
        int signal_number = ::sigwaitinfo(&set, nullptr);
        if (signal_number > 0) return signal_number;
        if (errno != EINTR) throw Error::from_errno("sigwaitinfo", errno);
    }
}

void reset_signals_for_exec() {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    for (int signal_number = 1; signal_number < NSIG; ++signal_number)
        ::sigaction(signal_number, &action, nullptr);  // fails harmlessly for SIGKILL/SIGSTOP
    sigset_t empty;
    ::sigemptyset(&empty);
    ::pthread_sigmask(SIG_SETMASK, &empty, nullptr);
}

const char* signal_name(int signal_number) {
    static thread_local char buffer[32];
    if (const char* abbreviation = ::sigabbrev_np(signal_number)) {
        std::snprintf(buffer, sizeof buffer, "SIG%s", abbreviation);
    } else {
        std::snprintf(buffer, sizeof buffer, "signal %d", signal_number);
    }
    return buffer;
}

}  // namespace glassvm::container
