// Machine: the boot steps, in order, and the run with its timeout.
#include "run/machine.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <thread>

#include <glassvm/abi.hpp>

#include "core/file.hpp"
#include "core/write_all.hpp"
#include "devices/stdin_pump.hpp"
#include "loader/boot_info.hpp"
#include "loader/elf.hpp"
#include "run/exit_handler.hpp"
#include "run/vcpu_runner.hpp"
#include "x86/cpuid.hpp"
#include "x86/gdt.hpp"
#include "x86/layout.hpp"
#include "x86/long_mode.hpp"
#include "x86/page_tables.hpp"

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

void validate_config(const MachineConfig& config) {
    if (config.memory_bytes < layout::kMinRamBytes || config.memory_bytes > layout::kMaxRamBytes)
        throw_bad_input("--mem: {} MiB is outside what glassvm supports ({} MiB to {} MiB)",
                        config.memory_bytes >> 20, layout::kMinRamBytes >> 20, layout::kMaxRamBytes >> 20);
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

// Where a vCPU stands, for the timeout report: an application processor the guest never started
// has no meaningful rip yet.
std::string describe_vcpu(const Vcpu& vcpu, const GuestMemory& memory) {
    uint32_t state = vcpu.mp_state();
    if (state == KVM_MP_STATE_UNINITIALIZED || state == KVM_MP_STATE_INIT_RECEIVED)
        return fmt::format("vCPU {} was waiting for INIT-SIPI-SIPI (never started by the guest)", vcpu.index());
    std::string halted = state == KVM_MP_STATE_HALTED ? " (halted)" : "";
    return fmt::format("vCPU {} was at {}{}", vcpu.index(), describe_rip(vcpu, memory), halted);
}

}  // namespace

Machine::Machine(const MachineConfig& config)
    : m_config(validated(config)),
      m_kvm(KvmSystem::open()),
      m_vm(Vm::create(m_kvm)),
      m_memory(GuestMemory::allocate(config.memory_bytes)) {
    if (m_config.cpus > m_kvm.max_vcpus())
        throw_bad_input("--cpus: {} is more than this host's KVM allows in one VM ({}, KVM_CAP_MAX_VCPUS)",
                        m_config.cpus, m_kvm.max_vcpus());
    m_vm.set_tss_address(layout::kVmxTssAddress);
    m_vm.map_memory(0, layout::kRamBase, m_memory);
    m_vm.create_irqchip();  // before the vCPUs: each gets its local APIC when it is created
    load_kernel_and_init();
    attach_devices();
    create_vcpus();
}

Machine::~Machine() = default;

void Machine::load_kernel_and_init() {
    std::vector<uint8_t> kernel = read_file(m_config.kernel_path, "kernel");
    std::string kernel_name = "kernel " + m_config.kernel_path;
    ElfImage kernel_image = parse_elf(kernel, kernel_name);
    load_elf(m_memory, kernel, kernel_image, layout::kLowestLoadAddress, kernel_name);
    m_kernel_entry = kernel_image.entry;

    abi::BootInfo info{};
    info.version = abi::kBootInfoVersion;
    info.cpu_count = static_cast<uint32_t>(m_config.cpus);
    info.memory_bytes = m_memory.size();
    write_command_line(m_memory, m_config.command_line);
    info.cmdline_address = layout::kCommandLine;
    info.cmdline_length = m_config.command_line.size();

    if (m_config.init_path) {
        // The kernel loads init itself (as it must under QEMU's PVH boot too); the VMM only
        // checks it is an executable the kernel can load, so a bad file fails here, clearly.
        std::vector<uint8_t> init = read_file(*m_config.init_path, "init program");
        std::string init_name = "init program " + *m_config.init_path;
        ElfImage init_image = parse_elf(init, init_name);
        if (init_image.lowest_address() < abi::kKernelRegionEnd || init_image.highest_address() > m_memory.size())
            throw_bad_input("{}: loads at {:#x}..{:#x}, outside the guest's user memory [{:#x}, {:#x})", init_name,
                            init_image.lowest_address(), init_image.highest_address(), abi::kKernelRegionEnd,
                            m_memory.size());
        uint64_t lowest = std::max({abi::kKernelRegionEnd, kernel_image.highest_address(), init_image.highest_address()});
        info.init_address = place_module(m_memory, init, lowest, init_name);
        info.init_size = init.size();
    }
    m_boot_info = info;
}

void Machine::attach_devices() {
    int output_fd = m_config.output_fd;
    m_serial = std::make_unique<Serial16550>([output_fd](uint8_t byte) {
        write_all(output_fd, std::span<const uint8_t>(&byte, 1), "write serial output");
    });
    m_bus.add(AddressSpace::Port, abi::kSerialPort, abi::kSerialPortCount, *m_serial);

    m_exit_device = std::make_unique<ExitDevice>([this](uint8_t status) {
        m_stop.request({StopReason::GuestExit, status, {}, {}});
    });
    m_bus.add(AddressSpace::Port, abi::kExitPort, abi::kExitPortCount, *m_exit_device);
}

// vCPU i gets APIC id i (KVM_CREATE_VCPU's id is the APIC id) and a CPUID saying so. Only vCPU 0,
// the bootstrap processor, gets the long-mode state a boot loader leaves; the application
// processors stay as KVM created them, in the architectural wait-for-SIPI state (Intel SDM Vol.
// 3A §8.4.1), until the guest sends them INIT-SIPI-SIPI (guest/smp.cpp).
void Machine::create_vcpus() {
    x86::write_boot_gdt(m_memory);
    uint64_t cr3 = x86::build_identity_page_tables(m_memory);
    std::vector<kvm_cpuid_entry2> supported = m_kvm.supported_cpuid();

    for (int index = 0; index < m_config.cpus; ++index) {
        Vcpu& vcpu = m_vcpus.emplace_back(m_vm.create_vcpu(m_kvm, index));
        vcpu.set_cpuid(x86::guest_cpuid(supported, index));
    }
    // The TSC frequency is known only once a vCPU exists; the boot processor starts last.
    Vcpu& boot_processor = m_vcpus.front();
    m_boot_info.tsc_khz = boot_processor.tsc_khz();
    uint64_t boot_info_address = write_boot_info(m_memory, m_boot_info);
    boot_processor.set_sregs(x86::long_mode_sregs(boot_processor.sregs(), cr3));
    boot_processor.set_regs(x86::boot_regs(m_kernel_entry, boot_info_address));
}

StopReport Machine::run() {
    install_kick_signal_handler();
    ExitHandler handler(m_bus, m_memory, {.verbose = m_config.verbose});
    std::optional<StdinPump> stdin_pump;
    if (has_input(m_config.input_fd)) stdin_pump.emplace(*m_serial, m_config.input_fd);

    RunLoopShared shared{.handler = handler, .stop = m_stop, .memory = m_memory, .bus = m_bus,
                         .observer = m_observers.empty() ? nullptr : &m_observers,
                         .clock = CycleClock(m_boot_info.tsc_khz), .boot_time = 0, .exit_sequence = {}};
    shared.boot_time = shared.clock.now();
    if (shared.observer) {
        bool sync = m_kvm.check_extension(KVM_CAP_SYNC_REGS) > 0;
        for (Vcpu& vcpu : m_vcpus) vcpu.enable_register_sync(sync);
    }

    std::vector<std::jthread> threads;
    for (Vcpu& vcpu : m_vcpus) {
        threads.emplace_back([&] { run_vcpu(vcpu, shared); });
        ::pthread_setname_np(threads.back().native_handle(), fmt::format("vcpu{}", vcpu.index()).c_str());
    }

    std::optional<StopReport> report =
        m_config.timeout ? m_stop.wait_until(std::chrono::steady_clock::now() + *m_config.timeout) : m_stop.wait();
    bool timed_out = !report && m_stop.request({StopReason::Timeout, abi::kExitTimeout, {}, {}});
    for (size_t i = 0; i < threads.size(); ++i) kick(m_vcpus[i], threads[i].native_handle());
    threads.clear();  // joins
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
