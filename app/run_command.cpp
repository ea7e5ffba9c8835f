// `glassvm run`: options, the bundled-guest lookup, and reporting how the VM ended.
#include "app/run_command.hpp"

#include <unistd.h>

#include <cmath>

#include <glassvm/abi.hpp>

#ifndef GLASSVM_HYPERVISOR_ONLY
#include "app/image_command.hpp"  // run --image
#endif
#include "base/error.hpp"
#include "base/size.hpp"
#include "base/subprocess.hpp"
#include "vmm/run/background_release.hpp"

namespace glassvm {

namespace {

// A week: long enough for any real run, short enough that deadlines cannot overflow.
constexpr double kMaxTimeoutSeconds = 7 * 24 * 3600;

// --timeout's check, before the text becomes a number, so that "-1", "soon" and "inf" get the
// same one-line message as a value that is too large.
CLI::Validator seconds_validator() {
    return CLI::Validator(
        [](std::string& text) {
            double seconds = 0;
            if (CLI::detail::lexical_cast(text, seconds) && std::isfinite(seconds) && seconds >= 0 &&
                seconds <= kMaxTimeoutSeconds)
                return std::string();
            return fmt::format("'{}' is not a number of seconds from 0 to {}", text, kMaxTimeoutSeconds);
        },
        "SEC");
}

}  // namespace

void add_accel_option(CLI::App& command, std::string& accel) {
    command.add_option("--accel", accel,
                       "Accelerator: auto (KVM when /dev/kvm works, else the soft CPU), kvm or soft (default: "
                       "$GLASSVM_ACCEL, else auto)");
}

CLI::App* add_run_command(CLI::App& app, RunOptions& options) {
    CLI::App* run = app.add_subcommand("run", "Boot a kernel in a new VM and run it until it exits");
    run->add_option("kernel,--kernel", options.kernel,
                    "Kernel to boot: an ELF64 (default: the bundled glassvm guest), or with --boot linux a "
                    "bzImage or vmlinux");
    run->add_option("--boot", options.boot, "Boot path: direct (64-bit entry, fastest), pvh, firmware or linux")
        ->capture_default_str();
    run->add_option("--initrd", options.initrd, "Initial RAM disk handed to a Linux kernel");
    run->add_option("--firmware", options.firmware,
                    "Boot ROM image for --boot firmware (default: the bundled glassvm-firmware.bin)");
    run->add_option("--mem", options.memory, "Guest RAM, with K/M/G suffix")->capture_default_str();
    run->add_option("--cpus", options.cpus, "Number of vCPUs")->capture_default_str();
    add_accel_option(*run, options.accel);
    run->add_option("--cmdline", options.command_line, "Kernel command line ('-- ARGS' passes ARGS to init)");
    run->add_option("--cpuid", options.cpuid,
                    "Hide CPUID features from the guest: -NAME or LEAF[.SUBLEAF].REG:BIT=0, comma-separated "
                    "(e.g. -cx16,-xsave or 1.ecx:13=0)");
    run->add_option("--init", options.init, "ELF64 program the guest kernel runs in ring 3 as init");
    run->add_option("--image", options.image,
                    "A vm image (glassvm build, KIND vm): its KERNEL, INIT, CMDLINE, MEMORY and CPUS "
                    "where the options above leave them unset");
    run->add_option("--store", options.store,
                    "The image store with --image (default: $GLASSVM_STORE, /var/lib/glassvm as root)");
    run->add_option("--timeout", options.timeout_seconds, "Stop the VM after SEC seconds (exit status 124)")
        ->check(seconds_validator());
    run->add_flag("-v,--verbose", options.verbose, "Report accesses to unmapped ports and MMIO");
    run->add_flag("--plain", options.plain,
                  "Take the plain exit path only: no coalesced serial output, no batched writes, no background "
                  "release of the VM (same output, slower; docs/ARCHITECTURE.md, \"Fast paths\")");
    add_watch_options(*run, options.watch);
    add_sandbox_options(*run, options.sandbox);
    run->footer(
        "Examples:\n"
        "  glassvm run                                   boot the bundled guest kernel\n"
        "  glassvm run --init build/workloads/probe      run the probe as the guest's init\n"
        "  glassvm run --mem 16M --timeout 5 --cmdline 'hostname=box1 -- 100' --init probe\n"
        "  glassvm run --trace-exits --exit-stats      watch every exit, then where the time went\n"
        "  glassvm run --plain --verbose               every UART byte a port-I/O exit, counted\n"
        "  glassvm run --boot firmware --trace-exits   boot like a PC, from the reset vector\n"
        "  glassvm run --boot pvh --init build/workloads/probe   the same guest through its PVH entry\n"
        "  glassvm run --boot linux --kernel vmlinuz --mem 256M --cmdline 'console=ttyS0 "
        "earlyprintk=serial,ttyS0,115200'\n"
        "                                                boot a Linux bzImage (or vmlinux, through PVH)\n");
    return run;
}

namespace {

// A file shipped with glassvm: in the build tree (build/glassvm, build/SUBDIRECTORY/NAME) first,
// then an installed layout.
std::filesystem::path find_bundled_file(const std::string& subdirectory, const std::string& name) {
    std::error_code error;
    std::filesystem::path directory = own_executable().parent_path();
    for (auto candidate :
         {directory / subdirectory / name, directory / ".." / "share" / "glassvm" / name, directory / name}) {
        if (std::filesystem::is_regular_file(candidate, error)) return candidate.lexically_normal();
    }
    return directory / subdirectory / name;  // read_file will say it is missing
}

}  // namespace

std::filesystem::path find_bundled_guest() { return find_bundled_file("guest", "glassvm-guest.elf"); }

std::filesystem::path find_bundled_firmware() { return find_bundled_file("firmware", "glassvm-firmware.bin"); }

MachineConfig to_machine_config(const RunOptions& options, const std::filesystem::path& bundled_guest) {
    MachineConfig config;
    config.boot = parse_boot_path(options.boot);
    config.kernel_path = options.kernel.empty() ? bundled_guest.string() : options.kernel;
    if (!options.init.empty()) config.init_path = options.init;
    if (!options.initrd.empty()) config.initrd_path = options.initrd;
    if (config.boot == BootPath::Firmware)
        config.firmware_path = options.firmware.empty() ? find_bundled_firmware().string() : options.firmware;
    else if (!options.firmware.empty())
        throw_bad_input("--firmware: a boot ROM is only used with --boot firmware");
    config.memory_bytes = parse_size(options.memory, "--mem");
    config.cpus = options.cpus;
    config.command_line = options.command_line;
    config.cpuid_edits = x86::parse_cpuid_edits(options.cpuid);
    config.accelerator = resolve_accelerator_choice(options.accel);
    if (config.boot == BootPath::Linux && options.kernel.empty())
        throw_bad_input("--boot linux: give the kernel to boot with --kernel bzImage|vmlinux");
    if (!std::isfinite(options.timeout_seconds) || options.timeout_seconds < 0 ||
        options.timeout_seconds > kMaxTimeoutSeconds)
        throw_bad_input("--timeout: {} is not a number of seconds from 0 to {}", options.timeout_seconds,
                        kMaxTimeoutSeconds);
    if (options.timeout_seconds > 0)  // at least 1 ms, so a tiny timeout is not "expired at once"
        config.timeout = std::chrono::milliseconds(std::max(1LL, std::llround(options.timeout_seconds * 1000)));
    config.verbose = options.verbose;
    if (options.plain) config.fast_paths = FastPaths::none();
    if (options.watch.needs_stdin()) config.input_fd = -1;
    validate_config(config);
    return config;
}

namespace {

void print_ending(const StopReport& report, Machine& machine, bool verbose) {
    if (verbose) {
        for (AddressSpace space : {AddressSpace::Port, AddressSpace::Mmio})
            fmt::print(stderr, "glassvm: unmapped {} accesses: {} reads, {} writes\n", to_string(space),
                       machine.bus().unmapped_reads(space), machine.bus().unmapped_writes(space));
        if (std::optional<uint64_t> rings = machine.doorbell_rings())
            fmt::print(stderr, "glassvm: doorbell port {:#x}: {} rings, counted by KVM without an exit\n",
                       abi::kDoorbellPort, *rings);
        if (std::optional<uint64_t> writes = machine.coalesced_writes())
            fmt::print(stderr, "glassvm: serial port {:#x}: {} writes queued by KVM (coalesced), not exits\n",
                       abi::kSerialPort, *writes);
        fmt::print(stderr, "glassvm: port I/O exits: {}\n", machine.port_io_exits());
    }
    if (report.reason == StopReason::GuestExit) {
        if (verbose) fmt::print(stderr, "glassvm: guest exited with status {}\n", report.exit_status);
        return;
    }
    fmt::print(stderr, "glassvm: {}\n", report.message);
    bool always_show_registers = report.reason != StopReason::Timeout && report.reason != StopReason::VmmError;
    if (!report.details.empty() && (verbose || always_show_registers)) fmt::print(stderr, "{}\n", report.details);
}

}  // namespace

int execute_run(const RunOptions& given) {
#ifdef GLASSVM_HYPERVISOR_ONLY
    if (!given.image.empty())
        throw_bad_input("--image: this glassvm was built without images (GLASSVM_HYPERVISOR_ONLY)");
    const RunOptions& options = given;
#else
    RunOptions options = given.image.empty() ? given : with_vm_image(given);
#endif
    MachineConfig config = to_machine_config(options, find_bundled_guest());
    sandbox::Sandbox sandbox(to_sandbox_options(options.sandbox, options.verbose));
    Watchers watchers(options.watch, config.accelerator);
    Fd releaser;  // closed after the machine is gone, so the releaser holds the VM's last references
    Machine machine(config);
    watchers.attach(machine);
    sandbox.enter();  // everything is open and built: no new privileges, and --uid/--gid from here
    machine.confine_with(sandbox);
    StopReport report = machine.run();
    watchers.report_after_run();
    print_ending(report, machine, options.verbose);
    // A fast path: the kernel frees the VM in another process while glassvm exits.
    if (config.fast_paths.background_release) releaser = release_vm_in_background(machine.vm_file_descriptors());
    return report.exit_status;
}

}  // namespace glassvm
