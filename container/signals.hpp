// The signals a box passes on (SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH):
// glassvm forwards them to the box's PID 1, which forwards them to the workload. Both wait for
// them (and SIGCHLD) with sigwaitinfo, so they stay blocked, never asynchronous.
#pragma once

#include <signal.h>

namespace glassvm::container {

// The forwarded signals plus SIGCHLD.
sigset_t supervised_signals();

// Blocks supervised_signals() for this scope; restores the previous mask when destroyed.
class BlockedSignals {
public:
    BlockedSignals();
    ~BlockedSignals();
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;

private:
    sigset_t m_previous;
};

// Waits for one supervised signal (retrying EINTR); returns its number.
int wait_for_signal();

// For the workload just before exec: an empty signal mask and default dispositions, so it
// starts as if from a fresh shell.
void reset_signals_for_exec();

// "SIGTERM" for SIGTERM, "signal 40" for ones without a name.
const char* signal_name(int signal_number);

}  // namespace glassvm::container
