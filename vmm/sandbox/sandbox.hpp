// glassvm's sandbox, as Firecracker's jailer and seccomp filters confine it: once the VM is
// built and before the guest's first instruction, the process forbids itself new privileges,
// drops from root to --uid/--gid if asked, and each thread loads the seccomp allowlist of its
// role (seccomp_policy.hpp) when its own set-up is done. Filters are per thread: a vCPU thread
// may call KVM_RUN but not open a file, the main thread may fork the teardown child but not run
// the guest. A forbidden call ends glassvm with a message naming it (forbidden_syscall_report.hpp).
// `--no-sandbox` turns it all off.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "vmm/sandbox/thread_role.hpp"

namespace glassvm::sandbox {

// AddressSanitizer's runtime makes calls no allowlist lists (its leak check at exit starts a
// thread that ptrace-attaches to the others), so sanitizer builds (GLASSVM_SANITIZE) have no
// sandbox: it is off, and --uid/--gid are refused.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSandboxAvailable = false;
#else
inline constexpr bool kSandboxAvailable = true;
#endif

// For tests only (a hidden option): a thread of this role makes one forbidden call, openat,
// (for writing) right after it is confined, to show what a forbidden call does.
enum class ForbiddenCallTrigger {
    None,
    Main,
    Vcpu
};

struct SandboxOptions {
    bool enabled = true;
    std::optional<uid_t> uid;  // drop to this user (root only)
    std::optional<gid_t> gid;
    bool verbose = false;  // say on stderr what each thread was confined to
    ForbiddenCallTrigger trigger = ForbiddenCallTrigger::None;
};

// Parses the hidden trigger's value: "main" or "vcpu"; throws BadInput otherwise.
ForbiddenCallTrigger parse_trigger(const std::string& text);

class Sandbox {
public:
    explicit Sandbox(const SandboxOptions& options);

    // On the main thread, before any other thread starts: no_new_privs, the SIGSYS report,
    // and the drop to --uid/--gid. Does nothing when the sandbox is off.
    void enter() const;

    // Loads the allowlist of `role` into the calling thread and names it "ROLE INDEX" (or just
    // ROLE when index < 0) in reports. Does nothing (but fire the test trigger) when off.
    void confine_this_thread(ThreadRole role, int index = -1) const;

    bool enabled() const { return m_options.enabled; }

private:
    void fire_trigger_if_asked(ThreadRole role, int index) const;

    SandboxOptions m_options;
    int m_process_id;
};

}  // namespace glassvm::sandbox
