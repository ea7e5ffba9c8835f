// --uid and --gid take numbers or names. glassvm is a static executable, and glibc's getpwnam
// needs shared NSS modules at run time, so names are looked up in /etc/passwd and /etc/group
// directly (the "files" source every system has).
#pragma once

#include <sys/types.h>

#include <string>

namespace glassvm::sandbox {

struct UserIds {
    uid_t uid;
    gid_t primary_gid;       // the user's group in /etc/passwd, when primary_gid_known
    bool primary_gid_known;  // false: a number /etc/passwd does not list
};

// A numeric uid, or a user name from /etc/passwd (with its primary group). Throws BadInput
// naming `option` when it is neither.
UserIds find_user(const std::string& text, const char* option);

// A numeric gid, or a group name from /etc/group. Throws BadInput naming `option` otherwise.
gid_t find_group(const std::string& text, const char* option);

}  // namespace glassvm::sandbox
