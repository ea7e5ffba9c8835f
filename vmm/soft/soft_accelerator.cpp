// SoftAccelerator (soft_accelerator.hpp): refuses to open until its instruction engine exists.
#include "vmm/soft/soft_accelerator.hpp"

#include "base/error.hpp"

namespace glassvm {

namespace {

constexpr const char* kNotYet =
        "the soft CPU cannot run guests yet: its interrupt chips and event delivery are built, its "
        "instruction engine is not (docs/SOFT-CPU.md)";

}  // namespace

SoftAccelerator::SoftAccelerator() { throw Error(ErrorKind::System, kNotYet); }

std::unique_ptr<VirtualMachine> SoftAccelerator::create_vm(const VmOptions&) { throw Error(ErrorKind::System, kNotYet); }

}  // namespace glassvm
