// Keeping the host's glassvm file out of the box's reach (the CVE-2019-5736 class). Every
// process of a box starts as a fork of glassvm, and the kernel shows a process's program as
// /proc/PID/exe, a link that opens the file itself whatever the mount namespace. A workload
// whose command is a script starting `#!/proc/self/exe` makes the kernel run the program of
// the process calling execve — glassvm — inside the box; with /proc/PID/exe of that process
// a box can then read, run, and (once nothing runs it any more) open for writing the host's
// glassvm binary, which root runs next.
//
// runc's answer, followed here: before it creates the box, glassvm re-executes itself from a
// copy of its file in a memfd, sealed against writes, growth, shrinking and further sealing
// (memfd_create(2) MFD_ALLOW_SEALING, fcntl F_ADD_SEALS). Every process of the box then has
// the copy as its /proc/PID/exe: it may run it (as the box's own privileges allow) but the
// kernel refuses any change to it, and no path leads from it to the host's file. The cost is
// one copy of the executable's loaded part (about 8 MiB; the debug information is left out)
// per `glassvm box run` or `build`, for as long as it runs, charged to glassvm's cgroup, not
// the box's; and time: on a loaded 2-CPU development VM, `box run -- true` took a median 41 ms
// against 33 ms without the copy (21 interleaved runs each), the re-execution alone about 4 ms. Why not the cheaper ways: exec'ing only the box's init from elsewhere still leaves
// the workload's own execve (where `#!/proc/self/exe` resolves) running glassvm's file; and a
// read-only bind mount of the file (runc's former "bindfd") needs mount rights that a rootless
// `glassvm box run --user` does not have.
#pragma once

namespace glassvm::container {

// Unless this process already runs from such a sealed copy: makes one of /proc/self/exe and
// execs it with the same arguments (/proc/self/cmdline) and environment, so that it returns
// only in the re-executed process. Call it before anything that cannot be redone (no threads,
// mounts or temporary files yet). Throws Error when the copy cannot be made or run.
void reexec_from_sealed_copy();

// Whether this process runs from a sealed copy (for the check above and for tests).
bool running_from_sealed_copy();

}  // namespace glassvm::container
