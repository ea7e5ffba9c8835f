// The box's PID 1: reap every child, forward signals to the workload, exit with its status.
#include "container/init.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "container/signals.hpp"

namespace glassvm::container {

namespace {

// Reaps every child that has ended; true (with its status) once the workload is among them.
bool reap_children(pid_t workload, int& workload_status) {
    bool workload_ended = false;
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return workload_ended;  // 0: others still running; -1 ECHILD: none left
        if (pid == workload) {
            workload_status = status;
            workload_ended = true;
        }
    }
}

}  // namespace

int shell_status(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

void run_init(pid_t workload, Fd status_pipe) {
    int workload_status = 0;
    for (;;) {
        int signal_number = 0;
        try {
            signal_number = wait_for_signal();
        } catch (...) {
            ::_exit(255);
        }
        if (signal_number == SIGCHLD) {
            if (!reap_children(workload, workload_status)) continue;
            (void)!::write(status_pipe.get(), &workload_status, sizeof workload_status);
            ::_exit(shell_status(workload_status));
        }
        ::kill(workload, signal_number);  // fails harmlessly if it is already gone
    }
}

}  // namespace glassvm::container
