// The PVH boot path (Xen's docs/misc/pvh.pandoc, "x86/HVM direct boot ABI"), as QEMU's microvm
// and Xen use it: the VMM loads the ELF kernel at its physical addresses, puts the command line,
// one module (the init program, or an initrd) and an hvm_start_info with an e820-style memory
// map in RAM, and starts the vCPU in 32-bit protected mode, paging off, at the address in the
// kernel's XEN_ELFNOTE_PHYS32_ENTRY note with EBX = &hvm_start_info. The kernel builds its own
// page tables; glassvm's guest does so in guest/pvh_entry.S, Linux in arch/x86/platform/pvh/.
#include "vmm/boot/pvh_boot.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/loader/boot_info.hpp"
#include "vmm/loader/e820.hpp"
#include "vmm/loader/elf.hpp"
#include "vmm/loader/pvh_start_info.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm {

namespace {

constexpr uint64_t kMiB = 1ull << 20;

std::string_view role_name(PvhModuleRole role) {
    return role == PvhModuleRole::InitProgram ? "init program" : "initrd";
}

class PvhBoot final : public BootMethod {
public:
    PvhBoot(PvhKernel kernel, std::optional<PvhModuleFile> module, std::string command_line)
            : m_kernel(std::move(kernel)), m_module_file(std::move(module)), m_command_line(std::move(command_line)) {}

    void load(const GuestMemory& memory) override {
        uint64_t kernel_end = m_kernel.image.highest_address();
        if (kernel_end > memory.size())
            throw_bad_input("{}: loads up to {:#x}, beyond the guest's {} MiB of RAM (try --mem {}M or more)",
                            m_kernel.name, kernel_end, memory.size() >> 20, (kernel_end + 64 * kMiB) / kMiB);
        load_elf(memory, m_kernel.file, m_kernel.image, layout::kLowestLoadAddress, m_kernel.name);
        write_command_line(memory, m_command_line);
        m_memory_map = build_e820_map(memory.size());
        if (m_module_file) m_module = load_module(memory, kernel_end);
    }

    void start_boot_cpu(VirtualCpu& vcpu, const GuestMemory& memory) override {
        x86::write_pvh_gdt(memory);
        uint64_t start_info = write_pvh_start_info(
            memory, layout::kPvhStartInfo,
            {.cmdline_address = layout::kCommandLine, .module = m_module, .memory_map = m_memory_map});
        vcpu.set_sregs(x86::pvh_entry_sregs(vcpu.sregs()));
        vcpu.set_regs(x86::pvh_entry_regs(m_kernel.entry, start_info));
        m_tsc_khz = vcpu.tsc_khz();  // PVH cannot say it; CPUID's timing leaf does (x86/cpuid.hpp)
    }

    uint64_t tsc_khz() const override { return m_tsc_khz; }

private:
    // The module goes page-aligned at the top of RAM, above the kernel — and, for an init
    // program, above the addresses its own segments will be loaded at by the guest kernel.
    PvhModule load_module(const GuestMemory& memory, uint64_t kernel_end) {
        std::vector<uint8_t> bytes = read_file(m_module_file->path, role_name(m_module_file->role));
        std::string name = fmt::format("{} {}", role_name(m_module_file->role), m_module_file->path);
        uint64_t lowest = kernel_end;
        if (m_module_file->role == PvhModuleRole::InitProgram)
            lowest = std::max({lowest, abi::kKernelRegionEnd, parse_elf(bytes, name).highest_address()});
        uint64_t address = place_module(memory, bytes, lowest, name);
        return {.address = address, .size = bytes.size()};
    }

    PvhKernel m_kernel;
    std::optional<PvhModuleFile> m_module_file;
    std::string m_command_line;
    std::vector<E820Entry> m_memory_map;
    std::optional<PvhModule> m_module;
    uint64_t m_tsc_khz = 0;
};

}  // namespace

PvhKernel parse_pvh_kernel(std::vector<uint8_t> file, std::string name, std::string_view without_note_advice) {
    ElfImage image = parse_elf(file, name);
    std::optional<uint32_t> entry = find_pvh_entry(file, name);
    if (!entry)
        throw_bad_input("{}: an ELF kernel without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY){}", name,
                        without_note_advice);
    return {.file = std::move(file), .name = std::move(name), .image = std::move(image), .entry = *entry};
}

std::unique_ptr<BootMethod> make_pvh_boot_for(PvhKernel kernel, std::optional<PvhModuleFile> module,
                                              std::string command_line) {
    return std::make_unique<PvhBoot>(std::move(kernel), std::move(module), std::move(command_line));
}

// `--boot pvh`: the module is the init program (glassvm's guest) or an initrd (another kernel).
std::unique_ptr<BootMethod> make_pvh_boot(const BootFiles& files) {
    if (files.init_path && files.initrd_path)
        throw_bad_input("--boot pvh: give --init or --initrd, not both (PVH passes one module)");
    std::optional<PvhModuleFile> module;
    if (files.init_path) module = PvhModuleFile{*files.init_path, PvhModuleRole::InitProgram};
    if (files.initrd_path) module = PvhModuleFile{*files.initrd_path, PvhModuleRole::Initrd};
    PvhKernel kernel = parse_pvh_kernel(read_file(files.kernel_path, "kernel"), "kernel " + files.kernel_path,
                                        "; --boot pvh needs one (try --boot direct)");
    return make_pvh_boot_for(std::move(kernel), std::move(module), files.command_line);
}

}  // namespace glassvm
