// Sandbox: the process-wide steps on entry, the per-thread confinement, the test trigger.
#include "vmm/sandbox/sandbox.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/sandbox/forbidden_syscall_report.hpp"
#include "vmm/sandbox/precompiled_filters.hpp"
#include "vmm/sandbox/privileges.hpp"
#include "vmm/sandbox/seccomp_policy.hpp"

namespace glassvm::sandbox {

ForbiddenCallTrigger parse_trigger(const std::string& text) {
    if (text == "main") return ForbiddenCallTrigger::Main;
    if (text == "vcpu") return ForbiddenCallTrigger::Vcpu;
    throw_bad_input("the forbidden-call trigger is 'main' or 'vcpu', not '{}'", text);
}

Sandbox::Sandbox(const SandboxOptions& options) : m_options(options), m_process_id(::getpid()) {}

void Sandbox::enter() const {
    if (!m_options.enabled) return;
    forbid_new_privileges();
    install_forbidden_syscall_report();
    if (m_options.uid || m_options.gid) {
        drop_to(m_options.uid.value_or(::getuid()), m_options.gid.value_or(::getgid()));
        if (m_options.verbose)
            fmt::print(stderr, "glassvm: sandbox: running as uid {} gid {}, no supplementary groups\n", ::getuid(),
                       ::getgid());
    }
}

void Sandbox::confine_this_thread(ThreadRole role, int index) const {
    if (m_options.enabled) {
        std::string label = index < 0 ? std::string(role_name(role)) : fmt::format("{} {}", role_name(role), index);
        set_thread_label(label);
        // The message is made before the filter is loaded and written after: proof it is on.
        std::string message;
        if (m_options.verbose)
            message = fmt::format(
                "glassvm: sandbox: the {} thread is confined: seccomp allowlist of {} system calls, "
                "no new privileges\n",
                label, allowlist(role, m_process_id).size());
        install_allowlist(role, m_process_id);
        if (!message.empty())
            write_all(STDERR_FILENO, std::span(reinterpret_cast<const uint8_t*>(message.data()), message.size()),
                      "write stderr");
    }
    fire_trigger_if_asked(role, index);
}

// openat for writing is in no allowlist: confined, glassvm ends here with the report;
// unconfined, the call simply works (/dev/null) and the descriptor is closed again.
void Sandbox::fire_trigger_if_asked(ThreadRole role, int index) const {
    bool asked = (m_options.trigger == ForbiddenCallTrigger::Main && role == ThreadRole::Main) ||
                 (m_options.trigger == ForbiddenCallTrigger::Vcpu && index == 0 &&
                  (role == ThreadRole::Vcpu || role == ThreadRole::DebuggedVcpu));
    if (!asked) return;
    long fd = ::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) ::close(static_cast<int>(fd));
}

}  // namespace glassvm::sandbox
