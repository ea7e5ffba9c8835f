// The SIGSYS handler and the two things it reads: the name table and the thread's label.
#include "vmm/sandbox/forbidden_syscall_report.hpp"

#include <linux/audit.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "vmm/sandbox/precompiled_filters.hpp"

namespace glassvm::sandbox {

namespace {

thread_local char t_label[32] = "unlabelled";

// Appends `text` to the buffer at `*end`, never past `limit`. Async-signal-safe.
void append(char*& end, const char* limit, const char* text) {
    while (*text != '\0' && end < limit) *end++ = *text++;
}

void append_number(char*& end, const char* limit, unsigned long number) {
    char digits[24];
    int count = 0;
    do {
        digits[count++] = static_cast<char>('0' + number % 10);
        number /= 10;
    } while (number != 0);
    while (count > 0 && end < limit) *end++ = digits[--count];
}

// The SIGSYS handler: only stack memory, strings prepared earlier, write and _exit.
void report_forbidden_syscall(int, siginfo_t* info, void*) {
    char message[256];
    char* end = message;
    const char* limit = message + sizeof message - 1;
    unsigned long number = static_cast<unsigned int>(info->si_syscall);
    append(end, limit, "glassvm: sandbox: the ");
    append(end, limit, t_label);
    append(end, limit, " thread made a forbidden system call: ");
    bool native = info->si_arch == AUDIT_ARCH_X86_64;
    const char* name = native ? syscall_name(number) : nullptr;
    if (name != nullptr)
        append(end, limit, name);
    else
        append(end, limit, native ? "unknown" : "a call through the i386 or x32 table");
    append(end, limit, " (");
    append_number(end, limit, number);
    append(end, limit, ")\n");
    ssize_t ignored = ::write(STDERR_FILENO, message, static_cast<size_t>(end - message));
    (void)ignored;
    ::_exit(kExitSandboxViolation);
}

}  // namespace

void install_forbidden_syscall_report() {
    struct sigaction action {};
    action.sa_sigaction = report_forbidden_syscall;
    sigfillset(&action.sa_mask);  // nothing else runs on this thread while it reports
    action.sa_flags = SA_SIGINFO;
    check_syscall("sigaction SIGSYS", ::sigaction(SIGSYS, &action, nullptr));
}

void set_thread_label(std::string_view label) {
    size_t length = std::min(label.size(), sizeof t_label - 1);
    std::memcpy(t_label, label.data(), length);
    t_label[length] = '\0';
}

}  // namespace glassvm::sandbox
