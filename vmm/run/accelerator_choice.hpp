// Which accelerator a VM runs on, and opening it: `--accel auto|kvm|soft` (and GLASSVM_ACCEL,
// its default) become a backend behind the seam (vmm/accel/accelerator.hpp). KVM (vmm/kvm/) and
// the software CPU (vmm/soft/) are named here and nowhere else above the seam.
//   kvm   KVM, or its plain-language error (no /dev/kvm, no access to it), which names the soft
//         CPU as the backend meant for machines without it
//   soft  the software CPU (not runnable yet: docs/SOFT-CPU.md; opening it is an Error saying so)
//   auto  KVM when /dev/kvm opens, else the soft CPU, with the reason why (Machine prints it)
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/accel/accelerator.hpp"

namespace glassvm {

enum class AcceleratorChoice {
    Auto,
    Kvm,
    Soft,
};

// The environment variable that sets the choice wherever a VM starts and no --accel says otherwise.
inline constexpr const char* kAccelEnvironmentVariable = "GLASSVM_ACCEL";

// "auto", "kvm" or "soft"; anything else is a BadInput error (exit status 2) that names `what`
// (the option, variable or field the text came from) and lists the three.
AcceleratorChoice parse_accelerator_choice(std::string_view text, std::string_view what = "--accel");

// "auto", "kvm" or "soft".
std::string_view to_string(AcceleratorChoice choice);

// The choice for one VM: `flag` (the --accel value) when not empty, else `environment` (the
// value of GLASSVM_ACCEL, nullptr when unset) when not empty, else auto. Either one, when bogus,
// is BadInput naming where it came from.
AcceleratorChoice resolve_accelerator_choice(std::string_view flag, const char* environment);
// The same with this process's GLASSVM_ACCEL.
AcceleratorChoice resolve_accelerator_choice(std::string_view flag = {});

struct OpenedAccelerator {
    std::unique_ptr<Accelerator> accelerator;
    std::string reason;      // why this backend: "--accel kvm", "auto: /dev/kvm works", …
    bool fell_back = false;  // auto took the soft CPU because KVM would not open
};

// Opens the backend `choice` names. KVM's failure is its own Error (same kind, so the same exit
// status as ever), naming the soft CPU as the backend meant for machines without KVM; the soft
// CPU's is its own. Auto
// fails only when neither opens, with both reasons.
OpenedAccelerator open_accelerator(AcceleratorChoice choice);

// What `glassvm info` reports: whether each backend opens here, which auto picks.
struct AcceleratorStatus {
    std::string name;  // "KVM", "soft CPU"
    bool usable = false;
    std::string detail;  // its error when it does not open
};
struct AcceleratorReport {
    AcceleratorStatus kvm;
    AcceleratorStatus soft;
    AcceleratorChoice auto_picks = AcceleratorChoice::Kvm;  // Auto itself when neither opens
};
AcceleratorReport probe_accelerators();

// The report as lines for a person, without line breaks: "KVM: usable (/dev/kvm)", …
std::vector<std::string> describe(const AcceleratorReport& report);

}  // namespace glassvm
