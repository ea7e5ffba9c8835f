// Ending a VM without waiting for KVM's teardown. When the last reference to a VM's file goes,
// KVM destroys it: on our nested hosts that waits 15–30 ms for RCU grace periods to free the
// in-kernel interrupt controllers and PIT (measured: ~0.1 ms of it is CPU; the rest is waiting).
// The user already has the guest's output and status by then, so glassvm hands that wait to a
// child process: the child keeps only the KVM file descriptors (no stdout, no pipes a caller
// could be reading to EOF), waits until glassvm has exited, then closes them and exits, and the
// kernel frees the VM in its context. glassvm itself returns at once.
#pragma once

#include <span>

namespace glassvm {

// Forks the releasing child, which keeps `kvm_fds` (and the vCPU run-area mappings) open until
// this process has exited. If fork fails, nothing happens: this process then releases the VM
// itself on exit, only more slowly.
void release_vm_in_background(std::span<const int> kvm_fds);

}  // namespace glassvm
