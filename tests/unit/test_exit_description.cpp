// Unit tests for what the stepper prints about a stop: the exit line (with the device the bus
// will hand it to, and no data yet for reads), the registers with their bits named, and the
// CPU mode the disassembler is set to.
#include <catch2/catch.hpp>

#include <array>

#include "vmm/debug/exit_description.hpp"
#include "vmm/x86/registers.hpp"

using namespace glassvm;
using namespace std::chrono_literals;

namespace {

struct NamedDevice final : IoDevice {
    std::string_view name() const override { return "exit"; }
    void read(uint64_t, std::span<uint8_t>) override {}
    void write(uint64_t, std::span<const uint8_t>) override {}
};

}  // namespace

TEST_CASE("exit description: an OUT names port size data and device", "[stepper]") {
    NamedDevice device;
    IoBus bus;
    bus.add(AddressSpace::Port, 0xf4, 4, device);
    std::array<uint8_t, 1> data = {7};
    VmExit exit = PortIoExit{.port = 0xf4, .size = 1, .is_write = true, .count = 1, .data = data};
    ExitEvent event{.sequence = 3, .vcpu = 0, .exit = exit, .since_boot = 1234us, .in_guest = 11us, .rip = 0x100004};
    CHECK(describe_exit_event(event, bus) ==
          "exit #3 on vCPU 0 at 1.234 ms (11 µs in the guest): IO out port=0xf4 size=1 data=0x7 -> exit");
}

TEST_CASE("exit description: reads have no data before they are handled", "[stepper]") {
    IoBus bus;
    std::array<uint8_t, 4> data = {0xde, 0xad, 0xbe, 0xef};
    VmExit in = PortIoExit{.port = 0x3fd, .size = 1, .is_write = false, .count = 1, .data = std::span(data).first(1)};
    CHECK(describe_exit_details(in, bus) == "IO in port=0x3fd size=1 -> (unmapped) (data when handled)");
    VmExit load = MmioExit{.address = 0xe0000000, .is_write = false, .data = data};
    CHECK(describe_exit_details(load, bus) == "MMIO read gpa=0xe0000000 size=4 -> (unmapped) (data when handled)");
    VmExit store = MmioExit{.address = 0xe0000000, .is_write = true, .data = data};
    CHECK(describe_exit_details(store, bus) == "MMIO write gpa=0xe0000000 size=4 data=0xefbeadde -> (unmapped)");
    CHECK(describe_exit_details(HaltExit{}, bus) == "HLT");
}

TEST_CASE("exit description: registers with rflags cr0 cr4 and efer bits named", "[stepper]") {
    kvm_regs regs{};
    regs.rax = 7;
    regs.rip = 0x100004;
    regs.rflags = 0x246;  // PF ZF IF
    std::string general = format_general_registers(regs);
    CHECK_THAT(general, Catch::Contains("rax=0000000000000007") && Catch::Contains("rip=0000000000100004") &&
                            Catch::Contains("rflags=00000246 [PF ZF IF]"));

    kvm_sregs sregs{};
    sregs.cr0 = 0x80010033;
    sregs.cr4 = 0x620;
    sregs.efer = 0x500;
    sregs.cs = {.base = 0,
                .limit = 0xffffffff,
                .selector = 8,
                .type = 0xb,
                .present = 1,
                .dpl = 0,
                .db = 0,
                .s = 1,
                .l = 1,
                .g = 1,
                .avl = 0,
                .unusable = 0,
                .padding = 0};
    sregs.gdt = {.base = 0x1000, .limit = 0x17, .padding = {}};
    std::string system = format_system_registers(sregs);
    CHECK_THAT(system, Catch::Contains("cs   selector=0008") && Catch::Contains("present L"));
    CHECK_THAT(system, Catch::Contains("cr0=0000000080010033 [PE MP ET NE WP PG]"));
    CHECK_THAT(system, Catch::Contains("cr4=0000000000000620 [PAE OSFXSR OSXMMEXCPT]"));
    CHECK_THAT(system, Catch::Contains("efer=0000000000000500 [LME LMA]"));
    CHECK_THAT(system, Catch::Contains("gdt base=0000000000001000 limit=0x17") && Catch::Contains("idt base="));
    CHECK(cpu_mode(sregs) == CpuMode::Bits64);
}

TEST_CASE("exit description: the CPU mode follows EFER.LMA CS.L CR0.PE and CS.D", "[stepper]") {
    kvm_sregs sregs{};
    CHECK(cpu_mode(sregs) == CpuMode::Bits16);  // real mode
    sregs.cr0 = 1;
    sregs.cs.db = 1;
    CHECK(cpu_mode(sregs) == CpuMode::Bits32);  // protected mode (the PVH entry)
    sregs.efer = 0x500;
    CHECK(cpu_mode(sregs) == CpuMode::Bits32);  // compatibility mode: LMA without CS.L
    sregs.cs.l = 1;
    sregs.cs.db = 0;
    CHECK(cpu_mode(sregs) == CpuMode::Bits64);
}
