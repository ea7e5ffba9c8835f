// TEMP placeholder (dropped at merge): the software CPU as an accelerator
// (vmm/accel/accelerator.hpp). The real one is written in parallel; this declares the same class
// so that choosing the backend compiles meanwhile. Its constructor always throws.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "vmm/accel/accelerator.hpp"

namespace glassvm {

class SoftAccelerator final : public Accelerator {
public:
    // Throws an Error when the soft CPU cannot start.
    SoftAccelerator();

    std::string_view name() const override { return "soft CPU"; }
    int max_vcpus() const override { return 16; }
    std::vector<kvm_cpuid_entry2> supported_cpuid() const override;
    std::unique_ptr<VirtualMachine> create_vm(const VmOptions& options) override;
};

}  // namespace glassvm
