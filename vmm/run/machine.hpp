// A whole virtual machine, assembled one verb at a time (as Firecracker's builder does):
// open the accelerator, create the VM, give it RAM, load the kernel and init program, write the
// boot structures, attach devices, create and configure vCPUs, then run one thread per vCPU
// until something stops it. The path main → Machine::run → run_vcpu's exit loop
// (run/vcpu_runner.hpp) → ExitHandler → IoBus → device is the whole VMM; the fast paths
// (run/fast_paths.hpp) are optimisations of it, each switchable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <glassvm/abi.hpp>

#include "vmm/accel/accelerator.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/boot/boot_method.hpp"
#include "vmm/devices/doorbell.hpp"
#include "vmm/devices/exit_device.hpp"
#include "vmm/devices/io_bus.hpp"
#include "vmm/devices/serial_16550.hpp"
#include "vmm/devices/stdin_pump.hpp"
#include "vmm/run/accelerator_choice.hpp"
#include "vmm/run/coalesced_writes.hpp"
#include "vmm/run/exit_handler.hpp"
#include "vmm/run/fast_paths.hpp"
#include "vmm/run/halt_watch.hpp"
#include "vmm/run/observer_list.hpp"
#include "vmm/run/stop.hpp"
#include "vmm/run/vcpu_runner.hpp"
#include "vmm/sandbox/sandbox.hpp"
#include "vmm/x86/cpuid.hpp"

namespace glassvm {

struct MachineConfig {
    BootPath boot = BootPath::Direct;
    std::string kernel_path;
    std::optional<std::string> init_path;
    std::optional<std::string> initrd_path;
    std::string firmware_path;  // --boot firmware: the boot ROM image
    uint64_t memory_bytes = 64ull << 20;
    int cpus = 1;
    std::string command_line;
    x86::CpuidEdits cpuid_edits;  // --cpuid: feature bits hidden from the guest
    std::optional<std::chrono::milliseconds> timeout;
    bool verbose = false;
    int input_fd = 0;      // host fd the UART receives from (-1: none)
    int output_fd = 1;     // host fd the UART transmits to
    FastPaths fast_paths;  // all on; FastPaths::none() is the plain path (--plain)
    // --accel: the backend (vmm/run/accelerator_choice.hpp); auto says on stderr when it falls
    // back to the soft CPU, and with `verbose` which one runs and why.
    AcceleratorChoice accelerator = AcceleratorChoice::Auto;
};

// Checks what can be checked without /dev/kvm (sizes, counts); throws BadInput.
void validate_config(const MachineConfig& config);

class Machine {
public:
    // Builds the machine; every failure is an Error naming what failed.
    explicit Machine(const MachineConfig& config);
    ~Machine();
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    // Adds an observer of every vCPU's exits (trace, statistics, stepper, GDB stub); it must
    // outlive run(). Without observers the exit loop measures nothing.
    void add_observer(VcpuObserver& observer) { m_observers.add(observer); }

    // Runs until the guest exits, a fatal exit, the timeout or a VMM error; returns how it ended.
    StopReport run();

    const IoBus& bus() const { return m_bus; }

    // Confines every thread of run() with `sandbox` (which must outlive run()): each vCPU and
    // the stdin pump before they start work, the main thread once it has started them all.
    void confine_with(const sandbox::Sandbox& sandbox) { m_sandbox = &sandbox; }

    // The descriptors that keep the VM alive in the kernel (KVM: the VM's and every vCPU's).
    std::vector<int> vm_file_descriptors() const { return m_vm->file_descriptors(); }

    // How many times the guest rang the doorbell (abi::kDoorbellPort), which KVM counts
    // without an exit; nullopt when this KVM has no ioeventfd support.
    std::optional<uint64_t> doorbell_rings();
    // Serial writes KVM queued without an exit (nothing when the run did not queue any).
    std::optional<uint64_t> coalesced_writes() const;
    // Port-I/O exits the exit handler performed (counted only with MachineConfig::verbose).
    uint64_t port_io_exits() const { return m_port_io_exits.load(std::memory_order_relaxed); }

private:
    void attach_devices();
    void create_vcpus();
    // The steps of run(), in order.
    void enable_fast_paths();
    void start_stdin_pump(std::optional<StdinPump>& pump);
    std::vector<std::jthread> start_vcpu_threads(RunLoopShared& shared);
    std::optional<StopReport> wait_for_stop(HaltWatch& halt_watch, std::span<const pthread_t> threads);
    void stop_vcpu_threads(HaltWatch& halt_watch, std::vector<std::jthread>& threads,
                           std::span<const pthread_t> handles);
    void report_input_failure(std::optional<StdinPump>& stdin_pump) const;
    void report_timeout(StopReport& report) const;
    void queue_serial_output();

    MachineConfig m_config;
    std::unique_ptr<BootMethod> m_boot;
    GuestMemory m_memory;  // loaded before KVM is opened: a bad file is bad input on any machine
    std::unique_ptr<Accelerator> m_accelerator;
    std::unique_ptr<VirtualMachine> m_vm;
    IoBus m_bus;
    StopControl m_stop;
    std::unique_ptr<BatchedOutput> m_serial_output;  // before m_serial, whose sink writes to it
    std::unique_ptr<Serial16550> m_serial;
    std::unique_ptr<ExitDevice> m_exit_device;
    std::optional<Doorbell> m_doorbell;
    std::vector<VirtualCpu*> m_vcpus;            // owned by m_vm
    std::optional<CoalescedWrites> m_coalesced;  // after m_vm's vCPUs: the ring is in vCPU 0's mapping
    std::atomic<uint64_t> m_port_io_exits{0};
    ObserverList m_observers;
    const sandbox::Sandbox* m_sandbox = nullptr;
};

}  // namespace glassvm
