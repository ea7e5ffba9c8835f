// Machine: the boot steps, in order, and the run with its timeout.
#include "vmm/run/machine.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <thread>
#include <utility>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/devices/stdin_pump.hpp"
#include "vmm/kvm/irqchip.hpp"
#include "vmm/run/exit_handler.hpp"
#include "vmm/run/vcpu_runner.hpp"
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
std::string describe_vcpu(const Vcpu& vcpu, const GuestMemory& memory) {
    uint32_t state = vcpu.mp_state();
    if (state == KVM_MP_STATE_UNINITIALIZED || state == KVM_MP_STATE_INIT_RECEIVED)
        return fmt::format("vCPU {} was waiting for INIT-SIPI-SIPI (never started by the guest)", vcpu.index());
    std::string halted = state == KVM_MP_STATE_HALTED ? " (halted)" : "";
    return fmt::format("vCPU {} was at {}{}", vcpu.index(), describe_rip(vcpu, memory), halted);
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
          m_memory(loaded_memory(config.memory_bytes, *m_boot)),
          m_kvm(KvmSystem::open()),
          m_vm(Vm::create(m_kvm)) {
    if (m_config.cpus > m_kvm.max_vcpus())
        throw_bad_input("--cpus: {} is more than this host's KVM allows in one VM ({}, KVM_CAP_MAX_VCPUS)",
                        m_config.cpus, m_kvm.max_vcpus());
    m_vm.set_tss_address(layout::kVmxTssAddress);
    m_vm.map_memory(layout::kRamSlot, layout::kRamBase, m_memory);
    create_interrupt_controllers(m_kvm, m_vm);  // before any vCPU, so each gets a local APIC
    create_pit(m_kvm, m_vm);
    attach_devices();
    m_boot->attach(m_vm, m_bus);
    create_vcpus();
}

Machine::~Machine() = default;

void Machine::attach_devices() {
    m_serial_output = std::make_unique<BatchedOutput>(m_config.output_fd);
    // The UART's interrupt output drives ISA IRQ 4, as COM1's does on a PC. Called on the vCPU
    // and stdin-pump threads; KVM_IRQ_LINE may be issued from any thread.
    const Vm& vm = m_vm;
    BatchedOutput& output = *m_serial_output;
    m_serial = std::make_unique<Serial16550>(
        [&output](uint8_t byte) { output.put(byte); },
        [&vm](bool level) { set_irq_line(vm, abi::kSerialIrq, level ? LineLevel::High : LineLevel::Low); });
    m_bus.add(AddressSpace::Port, abi::kSerialPort, abi::kSerialPortCount, *m_serial);

    m_exit_device = std::make_unique<ExitDevice>([this](uint8_t status) {
        m_stop.request({StopReason::GuestExit, status, {}, {}});
    });
    m_bus.add(AddressSpace::Port, abi::kExitPort, abi::kExitPortCount, *m_exit_device);

    if (m_vm.has_ioeventfd()) {
        m_doorbell.emplace();
        m_vm.add_ioeventfd(IoEventSpace::Port, abi::kDoorbellPort, 1, m_doorbell->event_fd());
    }
}

std::vector<int> Machine::vm_file_descriptors() const {
    std::vector<int> fds{m_vm.fd()};
    for (const Vcpu& vcpu : m_vcpus) fds.push_back(vcpu.fd());
    return fds;
}

std::optional<uint64_t> Machine::doorbell_rings() {
    if (!m_doorbell) return std::nullopt;
    return m_doorbell->rings();
}

std::optional<uint64_t> Machine::coalesced_writes() const {
    if (!m_coalesced) return std::nullopt;
    return m_coalesced->replayed();
}

// vCPU i gets APIC id i (KVM_CREATE_VCPU's id is the APIC id) and a CPUID saying so. Only vCPU 0,
// the bootstrap processor, gets the long-mode state a boot loader leaves; the application
// processors stay as KVM created them, in the architectural wait-for-SIPI state (Intel SDM Vol.
// 3A §8.4.1), until the guest sends them INIT-SIPI-SIPI (guest/smp.cpp).
void Machine::create_vcpus() {
    std::vector<kvm_cpuid_entry2> supported = m_kvm.supported_cpuid();
    bool amd = x86::cpu_vendor(supported) == x86::CpuVendor::Amd;
    for (int index = 0; index < m_config.cpus; ++index) {
        Vcpu& vcpu = m_vcpus.emplace_back(m_vm.create_vcpu(m_kvm, index));
        vcpu.set_reset_by_shutdown(amd);
        std::vector<kvm_cpuid_entry2> cpuid = x86::with_timing_leaf(x86::guest_cpuid(supported, index), vcpu.tsc_khz());
        vcpu.set_cpuid(x86::apply_cpuid_edits(std::move(cpuid), m_config.cpuid_edits));
    }
    m_boot->start_boot_cpu(m_vcpus.front(), m_memory);
}

StopReport Machine::run() {
    install_kick_signal_handler();
    // Watched runs see every exit as it happens: queueing is for unwatched ones.
    if (m_observers.empty()) queue_serial_output();
    CoalescedWrites* coalesced = m_coalesced ? &*m_coalesced : nullptr;
    ExitHandler handler(m_bus, m_memory, {.verbose = m_config.verbose, .coalesced = coalesced});
    HaltWatch halt_watch(m_vcpus.size());
    std::optional<StdinPump> stdin_pump;
    if (has_input(m_config.input_fd)) {
        std::function<void()> confine;
        if (m_sandbox) confine = [this] { m_sandbox->confine_this_thread(sandbox::ThreadRole::StdinPump); };
        stdin_pump.emplace(*m_serial, m_config.input_fd, std::move(confine));
    }

    RunLoopShared shared{.handler = handler,
                         .stop = m_stop,
                         .memory = m_memory,
                         .bus = m_bus,
                         .observer = m_observers.empty() ? nullptr : &m_observers,
                         .clock = CycleClock(m_vcpus.front().tsc_khz()),
                         .boot_time = 0,
                         .exit_sequence = {},
                         .halt_watch = &halt_watch,
                         .vcpus = m_vcpus,
                         .sandbox = m_sandbox};
    shared.boot_time = shared.clock.now();
    if (shared.observer) {
        bool sync = m_kvm.check_extension(KVM_CAP_SYNC_REGS) > 0;
        for (Vcpu& vcpu : m_vcpus) vcpu.enable_register_sync(sync);
    }

    std::vector<std::jthread> threads;
    for (Vcpu& vcpu : m_vcpus) {
        threads.emplace_back([&] {
            // Named by itself, which is prctl(PR_SET_NAME); naming another thread writes
            // /proc/self/task/TID/comm, and /proc entries looked up cost the reaping (base/subprocess.hpp, own_executable).
            ::pthread_setname_np(::pthread_self(), fmt::format("vcpu{}", vcpu.index()).c_str());
            run_vcpu(vcpu, shared);
        });
    }

    std::vector<pthread_t> handles;
    for (std::jthread& thread : threads) handles.push_back(thread.native_handle());
    if (m_sandbox) confine_main_thread(m_stop, *m_sandbox);
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (m_config.timeout) deadline = std::chrono::steady_clock::now() + *m_config.timeout;
    std::optional<StopReport> report = wait_watching_halts(
        m_stop, halt_watch, m_vcpus, handles, deadline, [coalesced] { return coalesced && coalesced->replay() > 0; });
    bool timed_out = !report && m_stop.request({StopReason::Timeout, kExitTimeout, {}, {}});
    halt_watch.close();
    for (size_t i = 0; i < threads.size(); ++i) kick(m_vcpus[i], handles[i]);
    threads.clear();                     // joins
    if (coalesced) coalesced->replay();  // what the guest wrote last, before the VM ended
    report = m_stop.wait();
    if (stdin_pump) {
        // A broken stdin (a directory, a read error) is worth a word but not the guest's life.
        try {
            stdin_pump->throw_if_failed();
        } catch (const Error& error) {
            fmt::print(stderr, "glassvm: serial input stopped: {}\n", error.what());
        }
    }

    if (timed_out) report_timeout(*report);
    return *report;
}

// KVM queues the guest's writes to THR in its coalesced ring (run/coalesced_writes.hpp) for as
// long as the UART says a late transmission cannot be noticed: a line of output then costs the
// guest one exit, its LSR poll, instead of one per byte.
void Machine::queue_serial_output() {
    std::optional<CoalescedRing> ring = CoalescedRing::open(m_kvm, m_vm, m_vcpus.front());
    if (!ring) return;  // this KVM cannot: every THR write exits, as before
    m_coalesced.emplace(*ring, m_bus, m_serial_output.get());
    m_serial->watch_transmit_deferral(
        [this](bool deferrable) { m_coalesced->set_port_queued(abi::kSerialPort, deferrable); });
}

// A timeout names where every vCPU was (all threads are joined: their registers hold still).
void Machine::report_timeout(StopReport& report) const {
    const Vcpu& first = m_vcpus.front();
    report.details = describe_registers(first.regs(), first.sregs());
    if (m_vcpus.size() == 1) {
        report.message = fmt::format("timed out after {} ms; vCPU 0 was at {}", m_config.timeout->count(),
                                     describe_rip(first, m_memory));
        return;
    }
    report.message = fmt::format("timed out after {} ms; where each vCPU was:", m_config.timeout->count());
    for (const Vcpu& vcpu : m_vcpus) report.message += "\n  " + describe_vcpu(vcpu, m_memory);
    report.details = "vCPU 0's registers:\n" + report.details;
}

}  // namespace glassvm
