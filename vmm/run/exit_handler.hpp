// What the VMM does with each VM exit: port I/O and MMIO go to the device on the I/O bus;
// HLT, triple fault, failed entry, emulation failure and unknown exits end the VM with a
// report naming the reason, the RIP and the instruction bytes there.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "vmm/accel/accelerator.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/accel/vm_exit.hpp"
#include "vmm/devices/io_bus.hpp"
#include "vmm/run/coalesced_writes.hpp"
#include "vmm/run/stop.hpp"

namespace glassvm {

// What handling one exit did.
struct ExitOutcome {
    const IoDevice* device = nullptr;  // the device that handled a port/MMIO access, if any
    std::optional<StopReport> stop;    // set when the exit ends the VM
};

struct ExitHandlerOptions {
    bool verbose = false;  // report every access to an unmapped port or address on stderr
    // Writes the accelerator queued without an exit, performed before each exit is handled (may
    // be null: the plain path, where every write exits).
    CoalescedWrites* coalesced = nullptr;
    // Counts port-I/O exits when set (verbose runs report it; may be null).
    std::atomic<uint64_t>* port_io_exits = nullptr;
};

class ExitHandler {
public:
    ExitHandler(IoBus& bus, const GuestMemory& memory, ExitHandlerOptions options)
            : m_bus(bus), m_memory(memory), m_options(options) {}

    // Handles one exit of `vcpu`.
    ExitOutcome handle(const VmExit& exit, VirtualCpu& vcpu);

private:
    const IoDevice* handle_port_io(const PortIoExit& exit, VirtualCpu& vcpu);
    const IoDevice* handle_mmio(const MmioExit& exit, VirtualCpu& vcpu);
    void report_unmapped(AddressSpace space, uint64_t address, bool is_write, std::span<const uint8_t> data,
                         VirtualCpu& vcpu) const;
    StopReport fatal_report(const VmExit& exit, VirtualCpu& vcpu) const;

    IoBus& m_bus;
    const GuestMemory& m_memory;
    ExitHandlerOptions m_options;
};

// "rip=0x… (cs=0x8, cpl 0)  bytes at rip: 0f 0b …" for exit reports; reads guest memory
// through the guest's page tables.
std::string describe_rip(const VirtualCpu& vcpu, const GuestMemory& memory);
// What a report says instead of describe_rip() after a SHUTDOWN on a vCPU KVM re-initialised
// (VirtualCpu::reset_by_shutdown: AMD), whose registers no longer tell where the guest was.
std::string shutdown_state_lost();
// Whether a SHUTDOWN exit left `vcpu` in the INIT state instead of where the guest was. AMD's KVM
// (svm.c) re-initialises the vCPU first; Intel's keeps the state, and so does nested KVM on AMD
// hosts (kvm_pvm, docs/KVM-LAB.md): the vendor says it may happen, the registers say it did.
bool shutdown_lost_state(const VirtualCpu& vcpu);
// The general-purpose and control registers (x86/registers.hpp), eight lines.
std::string describe_registers(const kvm_regs& regs, const kvm_sregs& sregs);

}  // namespace glassvm
