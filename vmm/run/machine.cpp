// Machine: the boot steps, in order, and the run with its timeout.
#include "vmm/run/machine.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <thread>
#include <utility>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/x86/cpuid.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm {

namespace {

// Whether `fd` can ever deliver a byte: not for "none" (-1) or /dev/null (device 1:3), where a
// stdin pump thread would only cost start-up time.
bool has_input(int fd) {
    struct stat status {};
    if (fd < 0 || ::fstat(fd, &status) != 0) return false;
    return !(S_ISCHR(status.st_mode) && status.st_rdev == makedev(1, 3));
}

}  // namespace

namespace {

// A size as the user would write it: "1 TiB", "3 MiB", "4097 bytes".
std::string describe_bytes(uint64_t bytes) {
    static constexpr std::pair<int, const char*> kUnits[] = {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
    for (auto [shift, unit] : kUnits)
        if (bytes != 0 && bytes % (1ull << shift) == 0) return fmt::format("{} {}", bytes >> shift, unit);
    return fmt::format("{} {}", bytes, bytes == 1 ? "byte" : "bytes");
}

}  // namespace

void validate_config(const MachineConfig& config) {
    if (config.memory_bytes < layout::kMinRamBytes || config.memory_bytes > layout::kMaxRamBytes)
        throw_bad_input("--mem: {} is outside what glassvm supports ({} MiB to {} MiB)",
                        describe_bytes(config.memory_bytes), layout::kMinRamBytes >> 20, layout::kMaxRamBytes >> 20);
    if (config.memory_bytes % layout::kPageSize != 0)
        throw_bad_input("--mem: {} bytes is not a whole number of 4 KiB pages", config.memory_bytes);
    if (config.cpus < 1 || config.cpus > abi::kMaxCpus)
        throw_bad_input("--cpus: {} is not supported; the guest kernel brings up 1 to {} CPUs", config.cpus,
                        abi::kMaxCpus);
}

namespace {

const MachineConfig& validated(const MachineConfig& config) {
    validate_config(config);
    return config;
}

// The guest's RAM with the kernel, its modules and the boot structures in it. Reading and
// checking the user's files needs no KVM, so it comes before /dev/kvm is opened: a bad file is
// the file's own error (status 2) on every machine, with KVM or without.
GuestMemory loaded_memory(uint64_t bytes, BootMethod& boot) {
    GuestMemory memory = GuestMemory::allocate(bytes);
    boot.load(memory);
    return memory;
}

// Where a vCPU stands, for the timeout report: an application processor the guest never started
// has no meaningful rip yet.
std::string describe_vcpu(const VirtualCpu& vcpu, const GuestMemory& memory) {
    std::optional<ProcessorState> state = vcpu.processor_state();
    if (state == ProcessorState::WaitingForInit || state == ProcessorState::WaitingForSipi)
        return fmt::format("vCPU {} was waiting for INIT-SIPI-SIPI (never started by the guest)", vcpu.index());
    std::string halted = state == ProcessorState::Halted ? " (halted)" : "";
    return fmt::format("vCPU {} was at {}{}", vcpu.index(), describe_rip(vcpu, memory), halted);
}

// The accelerator `config` asks for, saying on stderr when auto fell back to the soft CPU (once
// per machine: KVM's absence is news worth a line, an explicit choice is not), and with
// --verbose which backend runs and why.
OpenedAccelerator opened_accelerator(const MachineConfig& config) {
    OpenedAccelerator opened = open_accelerator(config.accelerator);
    if (opened.fell_back)
        fmt::print(stderr, "glassvm: {}\n", opened.reason);
    else if (config.verbose)
        fmt::print(stderr, "glassvm: accelerator: {} ({})\n", opened.accelerator->name(), opened.reason);
    return opened;
}

// Every thread has started: the main thread confines itself for the rest of the run and the
// teardown. A failure ends the VM like any VMM error (the vCPU threads are kicked and joined).
void confine_main_thread(StopControl& stop, const sandbox::Sandbox& sandbox) {
    try {
        sandbox.confine_this_thread(sandbox::ThreadRole::Main);
    } catch (const std::exception& error) {
        stop.request({StopReason::VmmError, kExitVmmError, fmt::format("main thread: {}", error.what()), {}});
    }
}

}  // namespace

Machine::Machine(const MachineConfig& config)
        : m_config(validated(config)),
          m_boot(make_boot_method(config.boot, {.kernel_path = config.kernel_path,
                                                .init_path = config.init_path,
                                                .initrd_path = config.initrd_path,
                                                .command_line = config.command_line,
                                                .cpu_count = config.cpus,
                                                .firmware_path = config.firmware_path})),
          m_memory(loaded_memory(config.memory_bytes, *m_boot)) {
    m_accelerator = opened_accelerator(m_config).accelerator;
    if (m_config.cpus > m_accelerator->max_vcpus())
        throw_bad_input("--cpus: {} is more than this host's {} allows in one VM ({})", m_config.cpus,
                        m_accelerator->name(), m_accelerator->max_vcpus());
    // The VM comes with the PC's interrupt controllers and PIT, before any vCPU (each gets a
    // local APIC).
    m_vm = m_accelerator->create_vm({.interrupt_controllers = true});
    m_vm->map_memory(layout::kRamSlot, layout::kRamBase, m_memory);
    attach_devices();
    m_boot->attach(*m_vm, m_bus);
    create_vcpus();
}

Machine::~Machine() = default;

void Machine::attach_devices() {
    m_serial_output = std::make_unique<BatchedOutput>(m_config.output_fd);
    // The UART's interrupt output drives ISA IRQ 4, as COM1's does on a PC. Called on the vCPU
    // and stdin-pump threads; the accelerator takes interrupt lines from any thread.
    const VirtualMachine& vm = *m_vm;
    BatchedOutput& output = *m_serial_output;
    m_serial = std::make_unique<Serial16550>([&output](uint8_t byte) { output.put(byte); },
                                             [&vm](bool level) { vm.set_irq_line(abi::kSerialIrq, level); });
    m_bus.add(AddressSpace::Port, abi::kSerialPort, abi::kSerialPortCount, *m_serial);

    m_exit_device = std::make_unique<ExitDevice>([this](uint8_t status) {
        m_stop.request({StopReason::GuestExit, status, {}, {}});
    });
    m_bus.add(AddressSpace::Port, abi::kExitPort, abi::kExitPortCount, *m_exit_device);

    // The doorbell is counted by the accelerator without an exit, where it can (ioeventfd); a
    // backend without ioeventfd leaves the port unmapped, and doorbell_rings() says nothing.
    if (m_vm->has_ioeventfd()) {
        m_doorbell.emplace();
        m_vm->add_ioeventfd(IoEventSpace::Port, abi::kDoorbellPort, 1, m_doorbell->event_fd());
    }
}

std::optional<uint64_t> Machine::doorbell_rings() {
    if (!m_doorbell) return std::nullopt;
    return m_doorbell->rings();
}

std::optional<uint64_t> Machine::coalesced_writes() const {
    if (!m_coalesced) return std::nullopt;
    return m_coalesced->replayed();
}

// vCPU i gets APIC id i and a CPUID saying so. Only vCPU 0, the bootstrap processor, gets the
// long-mode state a boot loader leaves; the application processors stay as the accelerator
// created them, in the architectural wait-for-SIPI state (Intel SDM Vol. 3A §8.4.1), until the
// guest sends them INIT-SIPI-SIPI (guest/smp.cpp).
void Machine::create_vcpus() {
    std::vector<kvm_cpuid_entry2> supported = m_accelerator->supported_cpuid();
    for (int index = 0; index < m_config.cpus; ++index) {
        VirtualCpu& vcpu = m_vm->create_vcpu(index);
        m_vcpus.push_back(&vcpu);
        std::vector<kvm_cpuid_entry2> cpuid = x86::with_timing_leaf(x86::guest_cpuid(supported, index), vcpu.tsc_khz());
        vcpu.set_cpuid(x86::apply_cpuid_edits(std::move(cpuid), m_config.cpuid_edits));
    }
    m_boot->start_boot_cpu(*m_vcpus.front(), m_memory);
}

// Runs the VM: switch on the fast paths this run may use, start a thread per vCPU (and one for
// host input), wait for a stop (watching for a VM that halted for good, with the timeout), then
// stop and join every thread and say how it ended.
StopReport Machine::run() {
    install_kick_signal_handler();
    enable_fast_paths();
    CoalescedWrites* coalesced = m_coalesced ? &*m_coalesced : nullptr;
    ExitHandler handler(m_bus, m_memory,
                        {.verbose = m_config.verbose,
                         .coalesced = coalesced,
                         .port_io_exits = m_config.verbose ? &m_port_io_exits : nullptr});
    HaltWatch halt_watch(m_vcpus.size());
    std::optional<StdinPump> stdin_pump;
    start_stdin_pump(stdin_pump);

    RunLoopShared shared{.handler = handler,
                         .stop = m_stop,
                         .memory = m_memory,
                         .bus = m_bus,
                         .observer = m_observers.empty() ? nullptr : &m_observers,
                         .clock = CycleClock(m_vcpus.front()->tsc_khz()),
                         .boot_time = 0,
                         .exit_sequence = {},
                         .halt_watch = &halt_watch,
                         .vcpus = m_vcpus,
                         .sandbox = m_sandbox};
    shared.boot_time = shared.clock.now();
    // Observers read the exit's RIP at every exit: cheap where the accelerator can sync it.
    if (shared.observer)
        for (VirtualCpu* vcpu : m_vcpus) vcpu->sync_registers_at_exit();

    std::vector<std::jthread> threads = start_vcpu_threads(shared);
    std::vector<pthread_t> handles;
    for (std::jthread& thread : threads) handles.push_back(thread.native_handle());
    if (m_sandbox) confine_main_thread(m_stop, *m_sandbox);
    std::optional<StopReport> report = wait_for_stop(halt_watch, handles);
    bool timed_out = !report && m_stop.request({StopReason::Timeout, kExitTimeout, {}, {}});
    stop_vcpu_threads(halt_watch, threads, handles);
    report = m_stop.wait();
    report_input_failure(stdin_pump);
    if (timed_out) report_timeout(*report);
    return *report;
}

// Watched runs see every exit as it happens: queueing is for unwatched ones.
void Machine::enable_fast_paths() {
    if (m_config.fast_paths.coalesced_serial_output && m_observers.empty()) queue_serial_output();
}

// KVM queues the guest's writes to THR in its coalesced ring (run/coalesced_writes.hpp) for as
// long as the UART says a late transmission cannot be noticed: a line of output then costs the
// guest one exit, its LSR poll, instead of one per byte.
void Machine::queue_serial_output() {
    std::unique_ptr<CoalescedWriteQueue> ring = m_vm->open_coalesced_writes();
    if (!ring) return;  // the accelerator cannot: every THR write exits, as on the plain path
    BatchedOutput* batches = m_config.fast_paths.batched_serial_output ? m_serial_output.get() : nullptr;
    m_coalesced.emplace(std::move(ring), m_bus, batches);
    m_serial->watch_transmit_deferral(
        [this](bool deferrable) { m_coalesced->set_port_queued(abi::kSerialPort, deferrable); });
}

void Machine::start_stdin_pump(std::optional<StdinPump>& pump) {
    if (!has_input(m_config.input_fd)) return;
    std::function<void()> confine;
    if (m_sandbox) confine = [this] { m_sandbox->confine_this_thread(sandbox::ThreadRole::StdinPump); };
    pump.emplace(*m_serial, m_config.input_fd, std::move(confine));
}

std::vector<std::jthread> Machine::start_vcpu_threads(RunLoopShared& shared) {
    std::vector<std::jthread> threads;
    for (VirtualCpu* vcpu : m_vcpus) {
        threads.emplace_back([vcpu, &shared] {
            // Named by itself, which is prctl(PR_SET_NAME); naming another thread writes
            // /proc/self/task/TID/comm, and /proc entries looked up cost the reaping (base/subprocess.hpp, own_executable).
            ::pthread_setname_np(::pthread_self(), fmt::format("vcpu{}", vcpu->index()).c_str());
            run_vcpu(*vcpu, shared);
        });
    }
    return threads;
}

// Until a stop report or the deadline. With interrupt controllers in the accelerator a guest that
// halts for good never exits, so the halt watch looks for it (without them its rounds find no vCPU
// asleep and end nothing); queued serial output is performed at every wake-up, so it appears
// while the guest runs without exits.
std::optional<StopReport> Machine::wait_for_stop(HaltWatch& halt_watch, std::span<const pthread_t> threads) {
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (m_config.timeout) deadline = std::chrono::steady_clock::now() + *m_config.timeout;
    CoalescedWrites* coalesced = m_coalesced ? &*m_coalesced : nullptr;
    auto replay = [coalesced] { return coalesced && coalesced->replay() > 0; };
    return wait_watching_halts(m_stop, halt_watch, m_vcpus, threads, deadline, replay);
}

// Kicks every vCPU out of its run and joins its thread, then performs what the guest wrote last.
void Machine::stop_vcpu_threads(HaltWatch& halt_watch, std::vector<std::jthread>& threads,
                                std::span<const pthread_t> handles) {
    halt_watch.close();
    for (size_t i = 0; i < threads.size(); ++i) kick(*m_vcpus[i], handles[i]);
    threads.clear();                         // joins
    if (m_coalesced) m_coalesced->replay();  // what the guest wrote last, before the VM ended
}

// A broken stdin (a directory, a read error) is worth a word but not the guest's life.
void Machine::report_input_failure(std::optional<StdinPump>& stdin_pump) const {
    if (!stdin_pump) return;
    try {
        stdin_pump->throw_if_failed();
    } catch (const Error& error) {
        fmt::print(stderr, "glassvm: serial input stopped: {}\n", error.what());
    }
}

// A timeout names where every vCPU was (all threads are joined: their registers hold still).
void Machine::report_timeout(StopReport& report) const {
    const VirtualCpu& first = *m_vcpus.front();
    report.details = describe_registers(first.regs(), first.sregs());
    if (m_vcpus.size() == 1) {
        report.message = fmt::format("timed out after {} ms; vCPU 0 was at {}", m_config.timeout->count(),
                                     describe_rip(first, m_memory));
        return;
    }
    report.message = fmt::format("timed out after {} ms; where each vCPU was:", m_config.timeout->count());
    for (const VirtualCpu* vcpu : m_vcpus) report.message += "\n  " + describe_vcpu(*vcpu, m_memory);
    report.details = "vCPU 0's registers:\n" + report.details;
}

}  // namespace glassvm
