// The soft CPU as an accelerator (vmm/accel/accelerator.hpp): glassvm's backend for machines
// without /dev/kvm, selected by --accel soft (or auto where KVM is missing). Not runnable yet:
// what a CPU does besides executing instructions is here — the interrupt chips KVM would keep in
// the kernel (local_apic, io_apic, pit_8254, pic_8259) and event delivery through the guest's IDT
// with its page walk (event_delivery, page_walk) — but the instruction engine is not. Opening it
// is an Error that says so; docs/SOFT-CPU.md tells why the engine is glassvm's own to write
// (Debian 12's Unicorn 2.0.1 was tried and measured, and cannot translate the guest's pages).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "vmm/accel/accelerator.hpp"

namespace glassvm {

class SoftAccelerator final : public Accelerator {
public:
    // Throws an Error: the soft CPU has no instruction engine yet.
    SoftAccelerator();

    std::string_view name() const override { return "soft CPU"; }
    int max_vcpus() const override { return 16; }
    std::vector<kvm_cpuid_entry2> supported_cpuid() const override { return {}; }
    std::unique_ptr<VirtualMachine> create_vm(const VmOptions& options) override;
};

}  // namespace glassvm
