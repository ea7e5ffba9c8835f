// Ending a VM without waiting for KVM's teardown. When the last reference to a VM's file goes,
// KVM destroys it: on our nested hosts that waits 15–30 ms for RCU grace periods to free the
// in-kernel interrupt controllers and PIT (measured: ~0.1 ms of it is CPU; the rest is waiting).
// The user already has the guest's output and status by then, so glassvm hands that wait to
// another process: a releaser that keeps only the KVM file descriptors (no stdout, no pipes a
// caller could be reading to EOF), waits until glassvm has dropped its own references, then
// closes them and exits, and the kernel frees the VM in its context. glassvm returns at once.
// The releaser is a grandchild (a middle process starts it, exits at once and is reaped), so a
// long-lived process that runs many VMs collects no zombies and keeps no children around. Both
// share glassvm's memory instead of copying it (background_release.cpp says why and how).
#pragma once

#include <span>

#include "base/fd.hpp"

namespace glassvm {

// Starts the releaser, which keeps `kvm_fds` (and the vCPU run-area mappings) open until the
// returned Fd is closed — close it after the Machine itself is gone, so that the releaser holds
// the last references. If starting it fails, the returned Fd is empty and nothing else happens: this
// process then releases the VM itself, only more slowly.
[[nodiscard]] Fd release_vm_in_background(std::span<const int> kvm_fds);

}  // namespace glassvm
