// Direct boot, glassvm's fastest path: the VMM does what a boot loader would — loads the ELF
// kernel at its physical addresses, places the init program and a BootInfo in RAM, builds
// identity page tables and a GDT — and starts the vCPU in 64-bit long mode at the ELF entry
// with RDI = boot magic and RSI = &BootInfo (the contract in guest/README.md).
#include <glassvm/abi.hpp>

#include "vmm/boot/boot_method.hpp"
#include "vmm/boot/glassvm_kernel.hpp"
#include "vmm/loader/boot_info.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/gdt.hpp"
#include "vmm/x86/page_tables.hpp"

namespace glassvm {

namespace {

class DirectBoot final : public BootMethod {
public:
    explicit DirectBoot(BootFiles files) : m_files(std::move(files)) {}

    void load(const GuestMemory& memory) override { m_kernel = load_glassvm_kernel(memory, m_files); }

    void start_boot_cpu(VirtualCpu& vcpu, const GuestMemory& memory) override {
        x86::write_boot_gdt(memory);
        uint64_t cr3 = x86::build_identity_page_tables(memory);
        vcpu.set_sregs(x86::long_mode_sregs(vcpu.sregs(), cr3));
        m_kernel.info.tsc_khz = vcpu.tsc_khz();
        uint64_t boot_info_address = write_boot_info(memory, m_kernel.info);
        vcpu.set_regs(x86::boot_regs(m_kernel.entry, boot_info_address));
    }

    uint64_t tsc_khz() const override { return m_kernel.info.tsc_khz; }

private:
    BootFiles m_files;
    LoadedKernel m_kernel;
};

}  // namespace

std::unique_ptr<BootMethod> make_direct_boot(const BootFiles& files) { return std::make_unique<DirectBoot>(files); }

}  // namespace glassvm
