// Exit dispatch and the reports for exits that end the VM.
#include "run/exit_handler.hpp"

#include <glassvm/abi.hpp>

#include <fmt/ranges.h>

#include "debug/emulation_failure.hpp"  // names the instruction the emulator could not run
#include "x86/long_mode.hpp"
#include "x86/page_walk.hpp"

namespace glassvm {

ExitOutcome ExitHandler::handle(const VmExit& exit, Vcpu& vcpu) {
    // The guest made its queued writes before this access: the devices see them first.
    if (m_options.coalesced) m_options.coalesced->replay();
    if (auto* io = std::get_if<PortIoExit>(&exit)) return {.device = handle_port_io(*io, vcpu), .stop = {}};
    if (auto* mmio = std::get_if<MmioExit>(&exit)) return {.device = handle_mmio(*mmio, vcpu), .stop = {}};
    return {.device = nullptr, .stop = fatal_report(exit, vcpu)};
}

const IoDevice* ExitHandler::handle_port_io(const PortIoExit& exit, Vcpu& vcpu) {
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

const IoDevice* ExitHandler::handle_mmio(const MmioExit& exit, Vcpu& vcpu) {
    const IoDevice* device = exit.is_write ? m_bus.write(AddressSpace::Mmio, exit.address, exit.data)
                                           : m_bus.read(AddressSpace::Mmio, exit.address, exit.data);
    if (!device && m_options.verbose) report_unmapped(AddressSpace::Mmio, exit.address, exit.is_write, exit.data, vcpu);
    return device;
}

void ExitHandler::report_unmapped(AddressSpace space, uint64_t address, bool is_write,
                                  std::span<const uint8_t> data, Vcpu& vcpu) const {
    uint64_t value = 0;
    for (size_t i = 0; i < data.size() && i < 8; ++i) value |= uint64_t{data[i]} << (8 * i);
    fmt::print(stderr, "glassvm: unmapped {} {} {:#x}, {} byte(s){} at rip={:#x}\n", to_string(space),
               is_write ? "write to" : "read from", address, data.size(),
               is_write ? fmt::format(" value {:#x}", value) : std::string(" → all ones"), vcpu.regs().rip);
}

StopReport ExitHandler::fatal_report(const VmExit& exit, Vcpu& vcpu) const {
    bool state_lost = std::holds_alternative<ShutdownExit>(exit) && vcpu.reset_by_shutdown();
    std::string where = state_lost ? shutdown_state_lost() : describe_rip(vcpu, m_memory);
    std::string registers = describe_registers(vcpu.regs(), vcpu.sregs());
    if (state_lost) registers = "  (the INIT state KVM put the vCPU in, not the guest's)\n" + registers;
    auto report = [&](StopReason reason, int status, std::string what) {
        return StopReport{reason, status, fmt::format("{} ({}) on vCPU {}: {}", what, exit_name(exit),
                                                      vcpu.index(), where), registers};
    };
    if (std::holds_alternative<HaltExit>(exit))
        return report(StopReason::Halted, abi::kExitGuestHalted, "the guest halted with nothing to wake it");
    if (std::holds_alternative<ShutdownExit>(exit))
        return report(StopReason::TripleFault, abi::kExitTripleFault,
                      "triple fault: the guest CPU could not deliver an exception and shut down");
    if (auto* failed = std::get_if<FailEntryExit>(&exit))
        return report(StopReason::EntryFailure, abi::kExitEntryFailure,
                      fmt::format("KVM could not enter the guest (hardware reason {:#x}): the CPU state "
                                  "is invalid", failed->hardware_reason));
    if (auto* internal = std::get_if<InternalErrorExit>(&exit))
        return report(StopReason::EmulationFailure, abi::kExitEmulationFailure,
                      internal->suberror == KVM_INTERNAL_ERROR_EMULATION
                          ? describe_emulation_failure(*internal, vcpu.regs(), vcpu.sregs(), m_memory) +
                                " — KVM's instruction emulator cannot execute it"
                          : fmt::format("KVM internal error, suberror {}", internal->suberror));
    if (std::holds_alternative<DebugExit>(exit))
        return report(StopReason::UnknownExit, abi::kExitUnknown, "a debug exit with no debugger attached");
    return report(StopReason::UnknownExit, abi::kExitUnknown, "an exit glassvm does not handle");
}

std::string shutdown_state_lost() {
    return "where it was is not known: AMD's KVM re-initialises a vCPU when it intercepts SHUTDOWN (the "
           "VMCB is undefined after one), so its registers hold the INIT state (rip=0xfff0, cs=0xf000)";
}

std::string describe_rip(const Vcpu& vcpu, const GuestMemory& memory) {
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

std::string describe_registers(const kvm_regs& r, const kvm_sregs& s) {
    return fmt::format(
        "  rax={:016x} rbx={:016x} rcx={:016x} rdx={:016x}\n"
        "  rsi={:016x} rdi={:016x} rbp={:016x} rsp={:016x}\n"
        "  r8 ={:016x} r9 ={:016x} r10={:016x} r11={:016x}\n"
        "  r12={:016x} r13={:016x} r14={:016x} r15={:016x}\n"
        "  rip={:016x} rflags={:08x} cr0={:08x} cr2={:016x} cr3={:016x} cr4={:08x} efer={:x}",
        r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13,
        r.r14, r.r15, r.rip, r.rflags, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

}  // namespace glassvm
