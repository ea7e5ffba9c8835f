// no_new_privs and the uid/gid drop, each checked after it was done.
#include "vmm/sandbox/privileges.hpp"

#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/error.hpp"

namespace glassvm::sandbox {

void forbid_new_privileges() {
    check_syscall("prctl PR_SET_NO_NEW_PRIVS", ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        throw Error(ErrorKind::Internal, "sandbox: no_new_privs did not stick");
}

namespace {

void check_dropped(uid_t uid, gid_t gid) {
    uid_t real_uid, effective_uid, saved_uid;
    gid_t real_gid, effective_gid, saved_gid;
    check_syscall("getresuid", ::getresuid(&real_uid, &effective_uid, &saved_uid));
    check_syscall("getresgid", ::getresgid(&real_gid, &effective_gid, &saved_gid));
    if (real_uid != uid || effective_uid != uid || saved_uid != uid || real_gid != gid || effective_gid != gid ||
        saved_gid != gid)
        throw Error(ErrorKind::Internal,
                    fmt::format("sandbox: after dropping to {}:{} the ids are uid {}/{}/{} gid {}/{}/{}", uid, gid,
                                real_uid, effective_uid, saved_uid, real_gid, effective_gid, saved_gid));
    if (::getgroups(0, nullptr) != 0)
        throw Error(ErrorKind::Internal, "sandbox: supplementary groups remain after the drop");
    // The real test: root must be out of reach now.
    if (uid != 0 && (::setresuid(0, 0, 0) == 0 || ::setresgid(0, 0, 0) == 0))
        throw Error(ErrorKind::Internal, "sandbox: root could be regained after dropping privileges");
}

}  // namespace

void drop_to(uid_t uid, gid_t gid) {
    // Groups first, while still root: setgroups and setresgid need CAP_SETGID, which setresuid
    // takes away.
    check_syscall("setgroups", ::setgroups(0, nullptr));
    check_syscall("setresgid", ::setresgid(gid, gid, gid));
    check_syscall("setresuid", ::setresuid(uid, uid, uid));
    check_dropped(uid, gid);
}

}  // namespace glassvm::sandbox
