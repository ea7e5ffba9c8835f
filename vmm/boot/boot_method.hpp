// How a machine's first instruction is reached: one BootMethod per boot path (`--boot
// direct|pvh|firmware|linux`). Each path decides what goes into guest memory (kernel, modules,
// boot structures), what extra the machine needs (a ROM slot, a firmware configuration
// device), and the boot vCPU's starting state. The Machine calls the three steps in order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vmm/accel/accelerator.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/devices/io_bus.hpp"

namespace glassvm {

enum class BootPath {
    Direct,    // the VMM puts the vCPU in 64-bit long mode at the kernel's ELF entry
    Pvh,       // the PVH boot ABI: 32-bit protected mode at the ELF's PHYS32_ENTRY note
    Firmware,  // our boot ROM from the architectural reset vector (F000:FFF0)
    Linux,     // a Linux bzImage (boot protocol) or vmlinux (through PVH)
};

// "direct" → BootPath::Direct, …; anything else is BadInput naming the choices.
BootPath parse_boot_path(std::string_view name);
std::string_view to_string(BootPath path);

// What every boot path is given: the files and words the user chose.
struct BootFiles {
    std::string kernel_path;
    std::optional<std::string> init_path;    // an init program (our guest kernel runs it)
    std::optional<std::string> initrd_path;  // an initial RAM disk (Linux)
    std::string command_line;
    int cpu_count = 1;
    std::string firmware_path;  // the boot ROM image (firmware path)
};

class BootMethod {
public:
    virtual ~BootMethod() = default;

    // Reads the files and writes the kernel, its modules and the boot structures into guest
    // memory. Every problem with a file is BadInput naming the file and what is wrong.
    virtual void load(const GuestMemory& memory) = 0;

    // Adds what this path needs beyond RAM and the standard devices (memory slots, devices).
    // The method owns what it adds; it must outlive the VM's run.
    virtual void attach(VirtualMachine& vm, IoBus& bus) {
        (void)vm;
        (void)bus;
    }

    // Gives the boot vCPU its starting state (the application processors keep theirs: they
    // wait for the guest's INIT–SIPI). Runs after every vCPU exists, so facts only a vCPU can
    // tell (the TSC frequency) can still go into the boot structures.
    virtual void start_boot_cpu(VirtualCpu& vcpu, const GuestMemory& memory) = 0;

    // The TSC frequency the guest was told (kHz; 0 when the path has no way to say it).
    virtual uint64_t tsc_khz() const { return 0; }
};

// The method for `path`; a path glassvm cannot boot yet is BadInput saying so.
std::unique_ptr<BootMethod> make_boot_method(BootPath path, const BootFiles& files);

// One factory per path, each in its own file (direct_boot.cpp, pvh_boot.cpp, …).
std::unique_ptr<BootMethod> make_direct_boot(const BootFiles& files);
std::unique_ptr<BootMethod> make_pvh_boot(const BootFiles& files);
std::unique_ptr<BootMethod> make_firmware_boot(const BootFiles& files);
std::unique_ptr<BootMethod> make_linux_boot(const BootFiles& files);

}  // namespace glassvm
