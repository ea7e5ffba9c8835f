// Machine: the boot steps, in order, and the run with its timeout.
#include "run/machine.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <thread>

#include <glassvm/abi.hpp>

#include "core/file.hpp"
#include "core/write_all.hpp"
#include "devices/stdin_pump.hpp"
#include "kvm/irqchip.hpp"
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

// The number of vCPUs the guest kernel can use so far: it brings up no application processors.
constexpr int kMaxCpus = 1;

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
    if (config.cpus < 1 || config.cpus > kMaxCpus)
        throw_bad_input("--cpus: {} is not supported; the guest kernel runs on exactly {} vCPU so far",
                        config.cpus, kMaxCpus);
}

namespace {

const MachineConfig& validated(const MachineConfig& config) {
    validate_config(config);
    return config;
}

}  // namespace

Machine::Machine(const MachineConfig& config)
    : m_config(validated(config)),
      m_kvm(KvmSystem::open()),
      m_vm(Vm::create(m_kvm)),
      m_memory(GuestMemory::allocate(config.memory_bytes)) {
    m_vm.set_tss_address(layout::kVmxTssAddress);
    m_vm.map_memory(0, layout::kRamBase, m_memory);
    create_interrupt_controllers(m_kvm, m_vm);  // before any vCPU, so each gets a local APIC
    create_pit(m_kvm, m_vm);
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
    // The UART's interrupt output drives ISA IRQ 4, as COM1's does on a PC. Called on the vCPU
    // and stdin-pump threads; KVM_IRQ_LINE may be issued from any thread.
    const Vm& vm = m_vm;
    m_serial = std::make_unique<Serial16550>(
        [output_fd](uint8_t byte) { write_all(output_fd, std::span<const uint8_t>(&byte, 1), "write serial output"); },
        [&vm](bool level) { set_irq_line(vm, abi::kSerialIrq, level ? LineLevel::High : LineLevel::Low); });
    m_bus.add(AddressSpace::Port, abi::kSerialPort, abi::kSerialPortCount, *m_serial);

    m_exit_device = std::make_unique<ExitDevice>([this](uint8_t status) {
        m_stop.request({StopReason::GuestExit, status, {}, {}});
    });
    m_bus.add(AddressSpace::Port, abi::kExitPort, abi::kExitPortCount, *m_exit_device);
}

void Machine::create_vcpus() {
    x86::write_boot_gdt(m_memory);
    uint64_t cr3 = x86::build_identity_page_tables(m_memory);
    std::vector<kvm_cpuid_entry2> supported = m_kvm.supported_cpuid();

    for (int index = 0; index < m_config.cpus; ++index) {
        Vcpu& vcpu = m_vcpus.emplace_back(m_vm.create_vcpu(m_kvm, index));
        vcpu.set_cpuid(x86::guest_cpuid(supported, index));
        vcpu.set_sregs(x86::long_mode_sregs(vcpu.sregs(), cr3));
    }
    // The TSC frequency is known only once a vCPU exists; the boot processor starts last.
    m_boot_info.tsc_khz = m_vcpus.front().tsc_khz();
    uint64_t boot_info_address = write_boot_info(m_memory, m_boot_info);
    m_vcpus.front().set_regs(x86::boot_regs(m_kernel_entry, boot_info_address));
}

StopReport Machine::run() {
    install_kick_signal_handler();
    ExitHandler handler(m_bus, m_memory, {.verbose = m_config.verbose});
    HaltWatch halt_watch(m_vcpus.size());
    std::optional<StdinPump> stdin_pump;
    if (has_input(m_config.input_fd)) stdin_pump.emplace(*m_serial, m_config.input_fd);

    RunLoopShared shared{.handler = handler, .stop = m_stop, .memory = m_memory, .bus = m_bus,
                         .observer = m_observers.empty() ? nullptr : &m_observers,
                         .clock = CycleClock(m_boot_info.tsc_khz), .boot_time = 0, .exit_sequence = {},
                         .halt_watch = &halt_watch, .vcpus = m_vcpus};
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

    std::vector<pthread_t> handles;
    for (std::jthread& thread : threads) handles.push_back(thread.native_handle());
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (m_config.timeout) deadline = std::chrono::steady_clock::now() + *m_config.timeout;
    std::optional<StopReport> report = wait_watching_halts(m_stop, halt_watch, m_vcpus, handles, deadline);
    bool timed_out = !report && m_stop.request({StopReason::Timeout, abi::kExitTimeout, {}, {}});
    halt_watch.close();
    for (size_t i = 0; i < threads.size(); ++i) kick(m_vcpus[i], handles[i]);
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

    if (timed_out) {
        report->message = fmt::format("timed out after {} ms; vCPU 0 was at {}", m_config.timeout->count(),
                                      describe_rip(m_vcpus.front(), m_memory));
        report->details = describe_registers(m_vcpus.front().regs(), m_vcpus.front().sregs());
    }
    return *report;
}

}  // namespace glassvm
