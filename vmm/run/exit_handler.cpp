// Exit dispatch and the reports for exits that end the VM.
#include "vmm/run/exit_handler.hpp"

#include <glassvm/abi.hpp>

#include <fmt/ranges.h>

#include "base/error.hpp"
#include "vmm/run/emulation_failure.hpp"  // names the instruction the emulator could not run
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/page_tables.hpp"
#include "vmm/x86/registers.hpp"

namespace glassvm {

ExitOutcome ExitHandler::handle(const VmExit& exit, VirtualCpu& vcpu) {
    // The guest made its queued writes before this access: the devices see them first.
    if (m_options.coalesced) m_options.coalesced->replay();
    if (auto* io = std::get_if<PortIoExit>(&exit)) {
        if (m_options.port_io_exits) m_options.port_io_exits->fetch_add(1, std::memory_order_relaxed);
        return {.device = handle_port_io(*io, vcpu), .stop = {}};
    }
    if (auto* mmio = std::get_if<MmioExit>(&exit)) return {.device = handle_mmio(*mmio, vcpu), .stop = {}};
    return {.device = nullptr, .stop = fatal_report(exit, vcpu)};
}

const IoDevice* ExitHandler::handle_port_io(const PortIoExit& exit, VirtualCpu& vcpu) {
    // A REP INS/OUTS arrives as `count` transfers of `size` bytes, back to back in kvm_run.
    const IoDevice* device = nullptr;
    for (uint32_t i = 0; i < exit.count; ++i) {
        auto item = exit.data.subspan(size_t{i} * exit.size, exit.size);
        device = exit.is_write ? m_bus.write(AddressSpace::Port, exit.port, item)
                               : m_bus.read(AddressSpace::Port, exit.port, item);
        if (!device && m_options.verbose) report_unmapped(AddressSpace::Port, exit.port, exit.is_write, item, vcpu);
    }
    return device;
}

const IoDevice* ExitHandler::handle_mmio(const MmioExit& exit, VirtualCpu& vcpu) {
    const IoDevice* device = exit.is_write ? m_bus.write(AddressSpace::Mmio, exit.address, exit.data)
                                           : m_bus.read(AddressSpace::Mmio, exit.address, exit.data);
    if (!device && m_options.verbose) report_unmapped(AddressSpace::Mmio, exit.address, exit.is_write, exit.data, vcpu);
    return device;
}

void ExitHandler::report_unmapped(AddressSpace space, uint64_t address, bool is_write, std::span<const uint8_t> data,
                                  VirtualCpu& vcpu) const {
    uint64_t value = 0;
    for (size_t i = 0; i < data.size() && i < 8; ++i) value |= uint64_t{data[i]} << (8 * i);
    fmt::print(stderr, "glassvm: unmapped {} {} {:#x}, {} byte(s){} at rip={:#x}\n", to_string(space),
               is_write ? "write to" : "read from", address, data.size(),
               is_write ? fmt::format(" value {:#x}", value) : std::string(" → all ones"), vcpu.regs().rip);
}

StopReport ExitHandler::fatal_report(const VmExit& exit, VirtualCpu& vcpu) const {
    bool state_lost = std::holds_alternative<ShutdownExit>(exit) && shutdown_lost_state(vcpu);
    std::string where = state_lost ? shutdown_state_lost() : describe_rip(vcpu, m_memory);
    std::string registers = describe_registers(vcpu.regs(), vcpu.sregs());
    if (state_lost) registers = "  (the INIT state KVM put the vCPU in, not the guest's)\n" + registers;
    auto report = [&](StopReason reason, int status, std::string what) {
        return StopReport{reason, status,
                          fmt::format("{} ({}) on vCPU {}: {}", what, exit_name(exit), vcpu.index(), where), registers};
    };
    if (std::holds_alternative<HaltExit>(exit))
        return report(StopReason::Halted, kExitGuestHalted, "the guest halted with nothing to wake it");
    if (std::holds_alternative<ShutdownExit>(exit))
        return report(StopReason::TripleFault, kExitTripleFault,
                      "triple fault: the guest CPU could not deliver an exception and shut down");
    if (auto* failed = std::get_if<FailEntryExit>(&exit))
        return report(StopReason::EntryFailure, kExitEntryFailure,
                      fmt::format("KVM could not enter the guest (hardware reason {:#x}): the CPU state "
                                  "is invalid",
                                  failed->hardware_reason));
    if (auto* internal = std::get_if<InternalErrorExit>(&exit))
        return report(StopReason::EmulationFailure, kExitEmulationFailure,
                      internal->suberror == KVM_INTERNAL_ERROR_EMULATION
                          ? describe_emulation_failure(*internal, vcpu.regs(), vcpu.sregs(), m_memory) +
                                " — KVM's instruction emulator cannot execute it"
                          : fmt::format("KVM internal error, suberror {}", internal->suberror));
    if (std::holds_alternative<DebugExit>(exit))
        return report(StopReason::UnknownExit, kExitUnknown, "a debug exit with no debugger attached");
    return report(StopReason::UnknownExit, kExitUnknown, "an exit glassvm does not handle");
}

bool shutdown_lost_state(const VirtualCpu& vcpu) {
    if (!vcpu.reset_by_shutdown()) return false;
    // The INIT state (SDM table 9-1, APM table 14-1): rip 0xfff0 in the segment at 0xffff0000.
    return vcpu.regs().rip == 0xfff0 && vcpu.sregs().cs.selector == 0xf000;
}

std::string shutdown_state_lost() {
    return "where it was is not known: AMD's KVM re-initialises a vCPU when it intercepts SHUTDOWN (the "
           "VMCB is undefined after one), so its registers hold the INIT state (rip=0xfff0, cs=0xf000)";
}

std::string describe_rip(const VirtualCpu& vcpu, const GuestMemory& memory) {
    kvm_regs regs = vcpu.regs();
    kvm_sregs sregs = vcpu.sregs();
    std::string text = fmt::format("rip={:#x} (cs={:#x}, cpl {})", regs.rip, sregs.cs.selector, sregs.cs.dpl);
    // Outside 64-bit mode RIP is an offset into CS (in real mode after reset, CS.base is
    // 0xFFFF0000); in 64-bit mode the base is ignored.
    uint64_t linear = sregs.cs.l ? regs.rip : sregs.cs.base + regs.rip;
    auto physical = x86::translate(memory, sregs.cr3, (sregs.cr0 & x86::kCr0Pg) != 0, linear);
    if (!physical) return text + ", rip is not mapped";
    auto bytes = memory.try_slice(*physical, 16);
    if (!bytes) return text + fmt::format(", rip is outside RAM (physical {:#x})", *physical);
    return text + fmt::format(", bytes at rip: {:02x}", fmt::join(*bytes, " "));
}

std::string describe_registers(const kvm_regs& regs, const kvm_sregs& sregs) {
    return format_general_registers(regs) + format_control_registers(sregs);
}

}  // namespace glassvm
