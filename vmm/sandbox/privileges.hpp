// Giving up what glassvm no longer needs once the VM is built: the ability to gain privileges
// (no_new_privs: execve can never grant setuid bits or file capabilities again, and seccomp
// filters may be loaded without CAP_SYS_ADMIN) and, when started as root, root itself.
//
// The drop keeps working because everything KVM needs is already open: /dev/kvm, the VM and
// every vCPU are file descriptors, and a descriptor keeps the access it was opened with
// whatever the process's credentials become.
#pragma once

#include <sys/types.h>

namespace glassvm::sandbox {

// prctl(PR_SET_NO_NEW_PRIVS): inherited by every thread and child started afterwards.
void forbid_new_privileges();

// Becomes `uid`:`gid` with no supplementary groups (real, effective and saved ids alike), then
// checks that it did (getresuid/getresgid) and that root cannot be regained. Call before any
// other thread is started: glibc would otherwise have to signal each thread to change it too.
void drop_to(uid_t uid, gid_t gid);

}  // namespace glassvm::sandbox
