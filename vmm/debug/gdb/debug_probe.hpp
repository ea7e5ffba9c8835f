// Does this host's KVM deliver guest-debug exits? Some do not (nested KVM such as our
// development machines: KVM_SET_GUEST_DEBUG is accepted, but single-stepping ends in an
// emulation failure and int3 never produces KVM_EXIT_DEBUG). A few bytes of 64-bit code in a
// throw-away probe VM answer the question before gdb relies on it, so breakpoints and stepping
// fail with an error rather than hang or crash the guest. Bounded: a watchdog kicks the probe
// vCPU out of KVM_RUN after a deadline.
#pragma once

#include <chrono>
#include <string>

#include "vmm/run/accelerator_choice.hpp"

namespace glassvm::gdb {

struct GuestDebugSupport {
    // KVM_GUESTDBG_SINGLESTEP stops after each instruction, in ring 0 and in ring 3. They are
    // probed apart: on our nested hosts ring 0 (which KVM emulates there) steps, but ring 3
    // (which runs natively) gets the #DB delivered into the guest instead.
    bool kernel_single_step = false;
    bool user_single_step = false;
    bool software_breakpoints = false;  // KVM_GUESTDBG_USE_SW_BP turns int3 into KVM_EXIT_DEBUG
    int hardware_breakpoints = 0;       // debug registers usable with KVM_GUESTDBG_USE_HW_BP
    std::string summary;                // what was seen, one line, for `monitor info`
    std::string accelerator = "KVM";    // the backend probed (Accelerator::name)
    bool probed = false;                // false: the probe VM could not even be built

    bool any() const {
        return kernel_single_step || user_single_step || software_breakpoints || hardware_breakpoints > 0;
    }
    bool all() const {
        return kernel_single_step && user_single_step && software_breakpoints && hardware_breakpoints > 0;
    }
};

// Runs the probe VM (a few milliseconds where it works) on the backend `accelerator` opens, the
// one the debugged VM runs on. Never throws: a probe that cannot even be set up counts as "no
// support", with the reason in `summary`.
GuestDebugSupport probe_guest_debug(std::chrono::milliseconds deadline = std::chrono::seconds(2),
                                    AcceleratorChoice accelerator = AcceleratorChoice::Auto);

}  // namespace glassvm::gdb
