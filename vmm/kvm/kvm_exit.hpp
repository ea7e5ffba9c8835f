// KVM's side of typed exits: decode_exit() reads the kvm_run area KVM_RUN filled in and returns
// a VmExit (vmm/accel/vm_exit.hpp); it issues no ioctl, so unit tests feed it fabricated kvm_run
// contents.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string_view>

#include "vmm/accel/vm_exit.hpp"

namespace glassvm {

VmExit decode_exit(kvm_run& run);

// The KVM_EXIT_* name of a raw reason ("IO", "MMIO", "SHUTDOWN", …; "?" for one glassvm does not
// know). Every name but "?" is one of known_exit_names().
std::string_view exit_reason_name(uint32_t reason);

}  // namespace glassvm
