// Direct boot, glassvm's fastest path: the VMM does what a boot loader would — loads the ELF
// kernel at its physical addresses, places the init program and a BootInfo in RAM, builds
// identity page tables and a GDT — and starts the vCPU in 64-bit long mode at the ELF entry
// with RDI = boot magic and RSI = &BootInfo (the contract in guest/README.md).
#include <algorithm>

#include <glassvm/abi.hpp>

#include "boot/boot_method.hpp"
#include "core/error.hpp"
#include "core/file.hpp"
#include "loader/boot_info.hpp"
#include "loader/elf.hpp"
#include "x86/gdt.hpp"
#include "x86/layout.hpp"
#include "x86/long_mode.hpp"
#include "x86/page_tables.hpp"

namespace glassvm {

namespace {

class DirectBoot final : public BootMethod {
public:
    explicit DirectBoot(BootFiles files) : m_files(std::move(files)) {}

    void load(const GuestMemory& memory) override {
        std::vector<uint8_t> kernel = read_file(m_files.kernel_path, "kernel");
        std::string kernel_name = "kernel " + m_files.kernel_path;
        ElfImage kernel_image = parse_elf(kernel, kernel_name);
        load_elf(memory, kernel, kernel_image, layout::kLowestLoadAddress, kernel_name);
        m_entry = kernel_image.entry;

        m_info.version = abi::kBootInfoVersion;
        m_info.cpu_count = static_cast<uint32_t>(m_files.cpu_count);
        m_info.memory_bytes = memory.size();
        write_command_line(memory, m_files.command_line);
        m_info.cmdline_address = layout::kCommandLine;
        m_info.cmdline_length = m_files.command_line.size();
        if (m_files.init_path) load_init(memory, kernel_image.highest_address());
    }

    void start_boot_cpu(Vcpu& vcpu, const GuestMemory& memory) override {
        x86::write_boot_gdt(memory);
        uint64_t cr3 = x86::build_identity_page_tables(memory);
        vcpu.set_sregs(x86::long_mode_sregs(vcpu.sregs(), cr3));
        m_info.tsc_khz = vcpu.tsc_khz();
        uint64_t boot_info_address = write_boot_info(memory, m_info);
        vcpu.set_regs(x86::boot_regs(m_entry, boot_info_address));
    }

    uint64_t tsc_khz() const override { return m_info.tsc_khz; }

private:
    // The kernel loads init itself (as it must under PVH boot too); the VMM only checks it is
    // an executable the kernel can load, so a bad file fails here, clearly.
    void load_init(const GuestMemory& memory, uint64_t kernel_end) {
        std::vector<uint8_t> init = read_file(*m_files.init_path, "init program");
        std::string init_name = "init program " + *m_files.init_path;
        ElfImage init_image = parse_elf(init, init_name);
        if (init_image.lowest_address() < abi::kKernelRegionEnd || init_image.highest_address() > memory.size())
            throw_bad_input("{}: loads at {:#x}..{:#x}, outside the guest's user memory [{:#x}, {:#x})", init_name,
                            init_image.lowest_address(), init_image.highest_address(), abi::kKernelRegionEnd,
                            memory.size());
        uint64_t lowest = std::max({abi::kKernelRegionEnd, kernel_end, init_image.highest_address()});
        m_info.init_address = place_module(memory, init, lowest, init_name);
        m_info.init_size = init.size();
    }

    BootFiles m_files;
    uint64_t m_entry = 0;
    abi::BootInfo m_info{};
};

}  // namespace

std::unique_ptr<BootMethod> make_direct_boot(const BootFiles& files) {
    return std::make_unique<DirectBoot>(files);
}

}  // namespace glassvm
