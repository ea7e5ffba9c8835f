// The Linux boot path (`--boot linux --kernel bzImage|vmlinux [--initrd F] [--cmdline S]`). A
// bzImage is loaded the way Documentation/arch/x86/boot.rst tells a boot loader to: the
// protected-mode kernel copied to its preferred (aligned) address, a boot_params "zero page"
// with the setup header, command line, initrd and e820 map, and the vCPU started at the
// kernel's 64-bit entry (load address + 0x200) in long mode with RSI = &boot_params. The
// kernel then decompresses itself. An ELF vmlinux is already decompressed and is entered
// through its PVH note instead (pvh_boot.cpp), with the initrd as the PVH module.
#include <algorithm>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/boot/boot_method.hpp"
#include "vmm/boot/pvh_boot.hpp"
#include "vmm/loader/boot_info.hpp"
#include "vmm/loader/bzimage.hpp"
#include "vmm/loader/e820.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/layout.hpp"
#include "vmm/x86/page_tables.hpp"

namespace glassvm {

namespace {

constexpr uint64_t kMiB = 1ull << 20;

class BzImageBoot final : public BootMethod {
public:
    BzImageBoot(std::vector<uint8_t> file, std::string name, std::optional<std::string> initrd_path,
                std::string command_line)
            : m_file(std::move(file)),
              m_name(std::move(name)),
              m_image(parse_bzimage(m_file, m_name)),
              m_initrd_path(std::move(initrd_path)),
              m_command_line(std::move(command_line)) {
        if (m_command_line.size() > m_image.header.cmdline_size)
            throw_bad_input("--cmdline: {} bytes is longer than the {} this kernel accepts (cmdline_size)",
                            m_command_line.size(), m_image.header.cmdline_size);
    }

    void load(const GuestMemory& memory) override {
        m_load_address = kernel_load_address(m_image.header);
        // init_size covers the kernel while it decompresses and relocates itself (boot.rst).
        uint64_t kernel_end = m_load_address + std::max<uint64_t>(m_image.header.init_size, m_image.kernel.size());
        if (kernel_end > memory.size())
            throw_bad_input(
                "{}: needs RAM up to {:#x} (loaded at {:#x}, init_size {} MiB) but the guest has {} MiB "
                "(try --mem {}M or more)",
                m_name, kernel_end, m_load_address, m_image.header.init_size / kMiB, memory.size() >> 20,
                (kernel_end + 64 * kMiB) / kMiB);
        std::copy(m_image.kernel.begin(), m_image.kernel.end(),
                  memory.slice(m_load_address, m_image.kernel.size()).begin());
        write_command_line(memory, m_command_line);
        LinuxBootLayout placed{.cmdline_address = layout::kCommandLine, .initrd_address = 0, .initrd_size = 0};
        if (m_initrd_path) load_initrd(memory, kernel_end, placed);
        std::vector<E820Entry> e820 = build_e820_map(memory.size());
        memory.write_object(layout::kLinuxBootParams, build_boot_params(m_image, placed, e820));
    }

    void start_boot_cpu(VirtualCpu& vcpu, const GuestMemory& memory) override {
        x86::write_linux_boot_gdt(memory);
        uint64_t cr3 = x86::build_identity_page_tables(memory);
        vcpu.set_sregs(x86::linux_entry_sregs(vcpu.sregs(), cr3));
        vcpu.set_regs(x86::linux_entry_regs(m_load_address + kLinuxEntry64Offset, layout::kLinuxBootParams));
    }

private:
    // As high as it can go (boot.rst: below initrd_addr_max), but above what the kernel needs.
    void load_initrd(const GuestMemory& memory, uint64_t kernel_end, LinuxBootLayout& placed) {
        std::vector<uint8_t> initrd = read_file(*m_initrd_path, "initrd");
        uint64_t top = std::min<uint64_t>(memory.size(), uint64_t{m_image.header.initrd_addr_max} + 1);
        top &= ~(layout::kPageSize - 1);
        uint64_t address = initrd.size() <= top ? (top - initrd.size()) & ~(layout::kPageSize - 1) : 0;
        if (initrd.size() > top || address < kernel_end)
            throw_bad_input(
                "initrd {}: {} MiB does not fit in guest RAM between the kernel's end ({:#x}) and {:#x} "
                "(the guest has {} MiB; try a larger --mem)",
                *m_initrd_path, (initrd.size() + kMiB - 1) / kMiB, kernel_end, top, memory.size() >> 20);
        std::copy(initrd.begin(), initrd.end(), memory.slice(address, initrd.size()).begin());
        placed.initrd_address = address;
        placed.initrd_size = initrd.size();
    }

    std::vector<uint8_t> m_file;
    std::string m_name;
    BzImage m_image;  // views into m_file
    std::optional<std::string> m_initrd_path;
    std::string m_command_line;
    uint64_t m_load_address = 0;
};

bool is_elf(std::span<const uint8_t> file) {
    return file.size() >= 4 && file[0] == 0x7f && file[1] == 'E' && file[2] == 'L' && file[3] == 'F';
}

}  // namespace

std::unique_ptr<BootMethod> make_linux_boot(const BootFiles& files) {
    if (files.init_path)
        throw_bad_input(
            "--boot linux: --init is for glassvm's own guest kernel; give Linux an initial RAM disk "
            "with --initrd");
    std::vector<uint8_t> file = read_file(files.kernel_path, "kernel");
    std::string name = "kernel " + files.kernel_path;
    if (is_bzimage(file))
        return std::make_unique<BzImageBoot>(std::move(file), std::move(name), files.initrd_path, files.command_line);
    if (!is_elf(file))
        throw_bad_input("{}: neither a bzImage (no \"HdrS\" setup header at 0x202) nor an ELF vmlinux", name);
    PvhKernel kernel = parse_pvh_kernel(std::move(file), std::move(name),
                                        "; glassvm boots an ELF vmlinux only through PVH (Linux built with "
                                        "CONFIG_PVH=y): give it the bzImage instead");
    std::optional<PvhModuleFile> initrd;
    if (files.initrd_path) initrd = PvhModuleFile{*files.initrd_path, PvhModuleRole::Initrd};
    return make_pvh_boot_for(std::move(kernel), std::move(initrd), files.command_line);
}

}  // namespace glassvm
