// --no-sandbox, --uid, --gid: parsing, the root check, and the user's primary group.
#include "app/sandbox_options.hpp"

#include <unistd.h>

#include "base/error.hpp"
#include "vmm/sandbox/user_lookup.hpp"

namespace glassvm {

void add_sandbox_options(CLI::App& run, SandboxCliOptions& options) {
    run.add_flag("--no-sandbox", options.no_sandbox,
                 "Do not confine glassvm (by default each thread gets a seccomp allowlist and no new privileges)");
    run.add_option(
        "--uid", options.uid,
        "When started as root, become this user (number or name) before the guest runs; /dev/kvm stays open");
    run.add_option("--gid", options.gid,
                   "With --uid (or alone), the group to become (default: the user's primary group)");
    // Hidden (no group): makes the main or vCPU 0 thread call openat once it is confined, so
    // tests can watch the sandbox end glassvm.
    run.add_option("--debug-forbidden-syscall", options.forbidden_call)->group("");
}

namespace {

// The uid and gid to drop to, when asked: a sandbox step, and root's alone.
void resolve_drop(const SandboxCliOptions& options, sandbox::SandboxOptions& result) {
    if (options.uid.empty() && options.gid.empty()) return;
    if (!sandbox::kSandboxAvailable) throw_bad_input("--uid/--gid: this sanitizer build of glassvm has no sandbox");
    if (options.no_sandbox)
        throw_bad_input("--uid/--gid: dropping privileges is part of the sandbox; leave out --no-sandbox");
    if (::geteuid() != 0)
        throw_bad_input("--uid/--gid: only root can become another user, and glassvm runs as uid {}", ::geteuid());
    if (!options.uid.empty()) {
        sandbox::UserIds user = sandbox::find_user(options.uid, "--uid");
        result.uid = user.uid;
        if (options.gid.empty() && !user.primary_gid_known)
            throw_bad_input("--uid: user {} is not in /etc/passwd, so it has no primary group; give --gid", user.uid);
        result.gid = user.primary_gid;
    }
    if (!options.gid.empty()) result.gid = sandbox::find_group(options.gid, "--gid");
}

}  // namespace

sandbox::SandboxOptions to_sandbox_options(const SandboxCliOptions& options, bool verbose) {
    sandbox::SandboxOptions result;
    result.enabled = !options.no_sandbox && sandbox::kSandboxAvailable;
    result.verbose = verbose;
    if (!options.forbidden_call.empty()) result.trigger = sandbox::parse_trigger(options.forbidden_call);
    resolve_drop(options, result);
    return result;
}

}  // namespace glassvm
