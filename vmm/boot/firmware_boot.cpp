// Firmware boot: the machine starts as a PC does. The boot vCPU begins in the architectural
// reset state (real mode, CS:IP = F000:FFF0) and runs glassvm's boot ROM (firmware/), mapped
// read-only so that it ends at 4 GiB. The ROM opens the A20 gate, enters protected and then
// long mode, asks the firmware configuration interface where the kernel and its BootInfo are,
// and enters the kernel as direct boot does. The VMM loads the kernel, the init program and the
// BootInfo into RAM beforehand (as a boot loader reading a disk would), so the firmware only
// has to learn where they are. firmware/README.md tells the whole story.
#include <optional>

#include <fmt/format.h>

#include <glassvm/abi.hpp>

#include "vmm/boot/boot_method.hpp"
#include "vmm/boot/glassvm_kernel.hpp"
#include "vmm/devices/a20_gate.hpp"
#include "vmm/devices/firmware_config.hpp"
#include "vmm/devices/rom_write_reporter.hpp"
#include "vmm/loader/boot_info.hpp"
#include "vmm/loader/rom_image.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm {

namespace {

void print_device_report(std::string_view sentence) { fmt::print(stderr, "glassvm: {}\n", sentence); }

class FirmwareBoot final : public BootMethod {
public:
    explicit FirmwareBoot(BootFiles files) : m_files(std::move(files)) {}

    void load(const GuestMemory& memory) override {
        m_rom = RomImage::load(m_files.firmware_path);
        m_kernel = load_glassvm_kernel(memory, m_files);
    }

    // The ROM slot and the three devices only this path has: the ROM's write reporter on the
    // MMIO bus, the A20 gate and the configuration interface on the port bus.
    void attach(VirtualMachine& vm, IoBus& bus) override {
        vm.map_read_only(layout::kFirmwareRomSlot, m_rom->guest_address(), m_rom->bytes());
        m_rom_writes.emplace(m_rom->guest_address(), print_device_report);
        bus.add(AddressSpace::Mmio, m_rom->guest_address(), m_rom->size(), *m_rom_writes);
        m_a20_gate.emplace(print_device_report);
        bus.add(AddressSpace::Port, abi::kSystemControlPortA, 1, *m_a20_gate);
        bus.add(AddressSpace::Port, abi::kFirmwareConfigSelectorPort, abi::kFirmwareConfigPortCount, m_config);
    }

    void start_boot_cpu(VirtualCpu& vcpu, const GuestMemory& memory) override {
        m_kernel.info.tsc_khz = vcpu.tsc_khz();
        uint64_t boot_info_address = write_boot_info(memory, m_kernel.info);
        m_config.set_u64(abi::FirmwareItem::KernelEntry, m_kernel.entry);
        m_config.set_u64(abi::FirmwareItem::BootInfo, boot_info_address);
        m_config.set_u64(abi::FirmwareItem::RamSize, memory.size());
        m_config.set_u32(abi::FirmwareItem::CpuCount, m_kernel.info.cpu_count);
        // The same free RAM direct boot builds its tables in: PML4, PDPT, four directories.
        m_config.set_u32(abi::FirmwareItem::PageTables, static_cast<uint32_t>(layout::kPml4));

        vcpu.set_sregs(x86::reset_sregs(vcpu.sregs()));
        vcpu.set_regs(x86::reset_regs(x86::processor_signature(vcpu.cpuid())));
    }

    uint64_t tsc_khz() const override { return m_kernel.info.tsc_khz; }

private:
    BootFiles m_files;
    std::optional<RomImage> m_rom;
    LoadedKernel m_kernel;
    std::optional<RomWriteReporter> m_rom_writes;
    std::optional<A20Gate> m_a20_gate;
    FirmwareConfig m_config;
};

}  // namespace

std::unique_ptr<BootMethod> make_firmware_boot(const BootFiles& files) {
    if (files.firmware_path.empty()) throw Error(ErrorKind::Internal, "make_firmware_boot: no firmware ROM was chosen");
    return std::make_unique<FirmwareBoot>(files);
}

}  // namespace glassvm
