// The accelerator seam: what a hypervisor backend must do for glassvm. Everything above it
// (boot, loaders, devices, the run loop, the debuggers) talks to VirtualCpu, VirtualMachine and
// Accelerator; KVM (vmm/kvm/) and the software CPU (vmm/soft/) implement them, and
// vmm/run/accelerator_choice.cpp picks one (--accel auto|kvm|soft).
//
// The register vocabulary is Linux's UAPI structs kvm_regs, kvm_sregs, kvm_segment and
// kvm_cpuid_entry2. They are plain layouts of x86 state (general registers; segment, control and
// descriptor-table registers; CPUID leaves) that any backend can fill, so <linux/kvm.h> is here
// for them alone: nothing in this header is a KVM call, and kvm_run never appears above the seam.
//
// What a backend must do: registers and CPUID, run() until the guest needs the VMM (a typed
// VmExit, vmm/accel/vm_exit.hpp), request_exit() from another thread, guest RAM and ROM slots.
// What it may lack: every feature below marked "Capability". Each has a question that says
// whether it is there, and a backend without it answers "no" (false, nothing, an empty list) or
// throws an Error saying so; glassvm then takes the plain path around it.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/accel/vm_exit.hpp"

namespace glassvm {

// Where a guest access goes: the x86 I/O port space or guest-physical (MMIO) addresses.
enum class IoEventSpace {
    Port,
    Mmio
};

// Where a vCPU stands, for backends that run HLT and INIT/SIPI themselves (their own interrupt
// controllers): a halted vCPU then sleeps inside run() until an interrupt wakes it.
enum class ProcessorState {
    Running,         // runnable: executing, or ready to
    Halted,          // after HLT, waiting for an interrupt
    WaitingForInit,  // an application processor the guest has not started yet
    WaitingForSipi,  // an application processor after INIT, waiting for its start-up IPI
};

// Guest debugging (single-step, int3 interception, execute breakpoints in DR0-DR3), as the
// GDB stub and the guest-debug probe ask for it.
struct GuestDebugRequest {
    bool single_step = false;
    bool intercept_int3 = false;                 // int3 stops in the VMM instead of the guest
    std::vector<uint64_t> hardware_breakpoints;  // execute breakpoints, at most four
    bool inject_breakpoint = false;              // hand the guest a #BP at the next entry, once

    bool enabled() const { return single_step || intercept_int3 || !hardware_breakpoints.empty(); }
    bool operator==(const GuestDebugRequest&) const = default;

    static GuestDebugRequest stepping() {
        return {.single_step = true, .intercept_int3 = false, .hardware_breakpoints = {}, .inject_breakpoint = false};
    }
    static GuestDebugRequest int3() {
        return {.single_step = false, .intercept_int3 = true, .hardware_breakpoints = {}, .inject_breakpoint = false};
    }
    static GuestDebugRequest breakpoint_at(uint64_t address) {
        return {.single_step = false,
                .intercept_int3 = false,
                .hardware_breakpoints = {address},
                .inject_breakpoint = false};
    }
};

class VirtualCpu {
public:
    virtual ~VirtualCpu() = default;

    // The vCPU's number, which is also its APIC id (vCPU 0 boots the machine).
    virtual int index() const = 0;

    // Registers and CPUID: every backend. Call them only while the vCPU is outside run().
    virtual kvm_regs regs() const = 0;
    virtual void set_regs(const kvm_regs& regs) = 0;
    virtual kvm_sregs sregs() const = 0;
    virtual void set_sregs(const kvm_sregs& sregs) = 0;
    virtual void set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) = 0;
    // The CPUID this vCPU presents (what set_cpuid gave it).
    virtual std::vector<kvm_cpuid_entry2> cpuid() const = 0;
    // The guest's TSC frequency in kHz; 0 when the backend cannot tell.
    virtual uint32_t tsc_khz() const = 0;

    // Running: every backend.
    // Runs the guest until it needs the VMM and returns why; nothing when request_exit() (or
    // the run loop's kick signal) ended the run first. The exit's data (PortIoExit::data,
    // MmioExit::data) lives in the vCPU until the next run(), which completes a read with it.
    virtual std::optional<VmExit> run() = 0;
    // From any thread: makes the current or next run() return nothing promptly. Not optional:
    // without it no VM could be stopped (KVM: kvm_run.immediate_exit). The run loop also sends the
    // vCPU thread a signal (vmm/run/vcpu_runner.hpp, kick), which a backend that polls this
    // request may ignore.
    virtual void request_exit() = 0;

    // The guest's RIP at the last exit (a register read, unless sync_registers_at_exit()).
    virtual uint64_t exit_rip() const { return regs().rip; }
    // Whether the registers after a ShutdownExit hold the INIT state instead of where the guest
    // was (AMD's KVM re-initialises a vCPU that triple-faulted); reports then say so.
    virtual bool reset_by_shutdown() const { return false; }

    // Capability: make exit_rip() cost no register read (KVM_CAP_SYNC_REGS), for observed runs.
    // False when the backend cannot; exit_rip() still answers, only more slowly.
    virtual bool sync_registers_at_exit() { return false; }

    // Capability: where this vCPU stands, when the backend runs HLT and INIT/SIPI itself
    // (VirtualMachine::has_interrupt_controllers()). Nothing otherwise: HLT then reaches the VMM
    // as a HaltExit. Call it only while the vCPU is outside run().
    virtual std::optional<ProcessorState> processor_state() const { return std::nullopt; }

    // Capability: guest debugging. Whether set_guest_debug() is accepted at all (a backend may
    // accept it and still not deliver every event: the guest-debug probe, vmm/debug/gdb/
    // debug_probe.hpp, finds out what works). Without it, set_guest_debug() throws an Error.
    virtual bool has_guest_debug() const { return false; }
    virtual void set_guest_debug(const GuestDebugRequest& request);
};

// One write the backend performed on the guest's behalf without an exit and queued for the VMM:
// where, and the bytes written (1 to 8).
struct CoalescedWrite {
    IoEventSpace space;
    uint64_t address;
    std::span<const uint8_t> data;
};

// Capability (VirtualMachine::open_coalesced_writes): a ring of guest writes to chosen device
// registers that the backend queues instead of exiting (KVM's coalesced MMIO/PIO ring), for the
// VMM to perform later in the guest's order. Reads of a zone still exit.
class CoalescedWriteQueue {
public:
    virtual ~CoalescedWriteQueue() = default;
    // Starts or stops queueing writes to [address, +size). Writes already queued stay queued.
    virtual void add_zone(IoEventSpace space, uint64_t address, uint32_t size) = 0;
    virtual void remove_zone(IoEventSpace space, uint64_t address, uint32_t size) = 0;
    virtual bool empty() const = 0;
    // Calls `each` for every queued write, oldest first, and frees its slot after the call.
    // One consumer at a time: callers serialize drains. Returns how many.
    virtual size_t drain(const std::function<void(const CoalescedWrite&)>& each) = 0;
};

// What a new VM is built with.
struct VmOptions {
    // The PC's interrupt hardware inside the backend: PICs, I/O APIC, a local APIC per vCPU and
    // the 8254 PIT. The guest-debug probe's throw-away VM does without.
    bool interrupt_controllers = true;
};

class VirtualMachine {
public:
    virtual ~VirtualMachine() = default;

    // Guest-physical [guest_address, +memory.size()) is backed by `memory`, which must outlive
    // the VM. Slots are the caller's numbers (vmm/x86/layout.hpp).
    virtual void map_memory(uint32_t slot, uint64_t guest_address, const GuestMemory& memory) = 0;
    // Guest-physical [guest_address, +image.size()) reads and executes `image` (which must
    // outlive the VM); a guest write there is not performed but reaches the VMM as an MmioExit.
    // A backend that cannot is an Error saying so.
    virtual void map_read_only(uint32_t slot, uint64_t guest_address, std::span<const uint8_t> image) = 0;

    // A new vCPU with APIC id `index`, owned by the VM (valid as long as it is). Create vCPUs in
    // index order, after the VM's memory (KVM creates its interrupt controllers with the first).
    virtual VirtualCpu& create_vcpu(int index) = 0;

    // Capability: the PC's interrupt controllers and PIT run inside the backend (VmOptions).
    virtual bool has_interrupt_controllers() const { return false; }
    // Drives ISA interrupt line `irq` high or low; any thread. False, and nothing happens, when
    // the VM has no interrupt controllers to listen.
    virtual bool set_irq_line(uint32_t irq, bool high) const {
        (void)irq;
        (void)high;
        return false;
    }

    // Capability: a guest write of exactly `length` bytes to `address` signals the eventfd
    // `event_fd` without an exit (KVM_IOEVENTFD). Without it add_ioeventfd() throws an Error;
    // the device at that address then has to be an ordinary one on the I/O bus.
    virtual bool has_ioeventfd() const { return false; }
    virtual void add_ioeventfd(IoEventSpace space, uint64_t address, uint32_t length, int event_fd);

    // Capability: the queue of coalesced writes, once vCPU 0 exists; nullptr when the backend
    // has none (every write exits).
    virtual std::unique_ptr<CoalescedWriteQueue> open_coalesced_writes() { return nullptr; }

    // The descriptors that keep this VM alive in the kernel (vmm/run/background_release.hpp
    // hands them to another process to close); empty when nothing outlives the process's own
    // teardown.
    virtual std::vector<int> file_descriptors() const { return {}; }
};

// A hypervisor backend, opened once per process or machine; it must outlive its VMs.
class Accelerator {
public:
    virtual ~Accelerator() = default;

    // "KVM", for messages ("more than this host's KVM allows").
    virtual std::string_view name() const = 0;
    // The most vCPUs one VM may have.
    virtual int max_vcpus() const = 0;
    // Every CPUID leaf this backend can present to a guest (vmm/x86/cpuid.hpp trims it).
    virtual std::vector<kvm_cpuid_entry2> supported_cpuid() const = 0;
    // A new, empty VM: no memory, no vCPUs.
    virtual std::unique_ptr<VirtualMachine> create_vm(const VmOptions& options) = 0;
};

}  // namespace glassvm
