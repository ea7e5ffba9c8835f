// The exit stepper: decide whether to stop at an exit, show it, read and run commands until
// one resumes the vCPU.
#include "vmm/debug/exit_stepper.hpp"

#include <unistd.h>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "vmm/debug/exit_description.hpp"
#include "vmm/debug/exit_format.hpp"
#include "vmm/debug/exit_stats.hpp"
#include "vmm/debug/exiting_instruction.hpp"
#include "vmm/debug/guest_disassembly.hpp"
#include "vmm/debug/hexdump.hpp"
#include "vmm/run/exit_handler.hpp"
#include "vmm/x86/registers.hpp"

namespace glassvm {

namespace {

constexpr const char* kPrompt = "(glassvm) ";

Translate translator(VcpuContext& context) {
    return [&context](uint64_t address) { return context.translate(address); };
}

// An IN's or MMIO read's data once the device has answered; empty for other exits.
std::span<const uint8_t> read_data(const VmExit& exit) {
    if (auto* io = std::get_if<PortIoExit>(&exit); io && !io->is_write) return io->data;
    if (auto* mmio = std::get_if<MmioExit>(&exit); mmio && !mmio->is_write) return mmio->data;
    return {};
}

}  // namespace

ExitStepper::ExitStepper(int input_fd, std::FILE* output, const ExitStats* stats)
        : m_input(input_fd), m_output(output), m_echo_commands(::isatty(input_fd) == 0), m_stats(stats) {}

ExitVerdict ExitStepper::before_exit(VcpuContext& context, const ExitEvent& event) {
    std::lock_guard lock(m_mutex);
    if (context.stop.stopping() || !should_stop_at(event)) return ExitVerdict::Handle;
    Stop stop{context, event};
    show(stop);
    prompt_until_resumed(stop);
    return ExitVerdict::Handle;
}

void ExitStepper::after_exit(VcpuContext&, const ExitEvent& event, const HandledExit& handled) {
    std::lock_guard lock(m_mutex);
    if (event.sequence != m_shown_sequence || m_mode == Mode::ToEnd) return;
    std::span<const uint8_t> data = read_data(event.exit);
    if (!data.empty())
        print(fmt::format("  (exit #{} read data={} from {})\n", event.sequence, format_data(data),
                          handled.device ? handled.device->name() : "(unmapped)"));
}

bool ExitStepper::should_stop_at(const ExitEvent& event) {
    switch (m_mode) {
        case Mode::Step:
            return true;
        case Mode::CountExits:
            if (m_exits_to_skip > 0) {
                --m_exits_to_skip;
                return false;
            }
            break;
        case Mode::UntilReason:
            if (exit_name(event.exit) != m_reason) return false;
            break;
        case Mode::ToEnd:
            return false;
    }
    m_mode = Mode::Step;
    return true;
}

void ExitStepper::show(const Stop& stop) {
    m_shown_sequence = stop.event.sequence;
    kvm_regs regs = stop.context.vcpu.regs();
    CpuMode mode = cpu_mode(stop.context.vcpu.sregs());
    Translate translate = translator(stop.context);
    std::string text = describe_exit_event(stop.event, stop.context.bus) + "\n" + format_general_registers(regs);
    if (std::holds_alternative<ShutdownExit>(stop.event.exit) && shutdown_lost_state(stop.context.vcpu)) {
        print(text + "  " + shutdown_state_lost() + "\n");
        return;
    }
    if (auto cause = find_exiting_instruction(stop.context.memory, translate, stop.event.exit, regs, mode))
        text += format_instruction(*cause, false) + "   <- caused this exit; rip is already past it\n";
    text += disassemble_guest(stop.context.memory, translate, {regs.rip, false}, 1, mode, regs.rip);
    print(text);
}

void ExitStepper::prompt_until_resumed(const Stop& stop) {
    for (;;) {
        print(kPrompt);
        LineReader::Result input = m_input.read_line([&] { return stop.context.stop.stopping(); });
        if (input.status == LineReader::Status::Abandoned) {
            print("\n(the VM is stopping)\n");
            return;
        }
        if (input.status == LineReader::Status::EndOfInput) {
            print("\n(end of input: continuing to the end without stopping)\n");
            m_mode = Mode::ToEnd;
            return;
        }
        if (m_echo_commands) print(input.line + "\n");
        try {
            if (run(parse_command(input.line), stop) == Next::Resume) return;
        } catch (const Error& error) {
            print(fmt::format("error: {}\n", error.what()));
        }
    }
}

ExitStepper::Next ExitStepper::run(const StepperCommand& command, const Stop& stop) {
    return std::visit([&](const auto& which) { return run(which, stop); }, command);
}

ExitStepper::Next ExitStepper::run(const command::Next&, const Stop&) {
    m_mode = Mode::Step;
    return Next::Resume;
}

ExitStepper::Next ExitStepper::run(const command::Continue& command, const Stop&) {
    if (command.exits) {
        m_mode = Mode::CountExits;
        m_exits_to_skip = *command.exits - 1;  // this exit is the first of them
    } else if (command.reason) {
        m_mode = Mode::UntilReason;
        m_reason = *command.reason;
    } else {
        m_mode = Mode::ToEnd;
        print("(continuing to the end without stopping)\n");
    }
    return Next::Resume;
}

ExitStepper::Next ExitStepper::run(const command::Registers&, const Stop& stop) {
    print(format_general_registers(stop.context.vcpu.regs()) + format_system_registers(stop.context.vcpu.sregs()));
    return Next::Prompt;
}

ExitStepper::Next ExitStepper::run(const command::Examine& command, const Stop& stop) {
    GuestBytes read = read_guest(stop.context.memory, translator(stop.context), command.address, command.length);
    std::string text = hexdump(read.bytes, command.address.value);
    if (!read.shortfall.empty())
        text += fmt::format("({} of {} bytes: {})\n", read.bytes.size(), command.length, read.shortfall);
    print(text);
    return Next::Prompt;
}

ExitStepper::Next ExitStepper::run(const command::Disassemble& command, const Stop& stop) {
    GuestAddress address = command.address.value_or(GuestAddress{stop.event.rip, false});
    std::optional<uint64_t> rip = address.physical ? std::nullopt : std::optional(stop.event.rip);
    print(disassemble_guest(stop.context.memory, translator(stop.context), address, command.count,
                            cpu_mode(stop.context.vcpu.sregs()), rip));
    return Next::Prompt;
}

ExitStepper::Next ExitStepper::run(const command::Stats&, const Stop&) {
    print(m_stats ? m_stats->render_table() : std::string("(no exit statistics are being collected)\n"));
    return Next::Prompt;
}

ExitStepper::Next ExitStepper::run(const command::Help&, const Stop&) {
    print(std::string(help_text()));
    return Next::Prompt;
}

ExitStepper::Next ExitStepper::run(const command::Quit&, const Stop& stop) {
    print("(quit: stopping the VM; this exit is not handled)\n");
    stop.context.stop.request({StopReason::Stopped, kExitStopped, "stopped from the exit stepper", {}});
    m_mode = Mode::ToEnd;
    return Next::Resume;
}

void ExitStepper::print(const std::string& text) {
    std::fputs(text.c_str(), m_output);
    std::fflush(m_output);
}

}  // namespace glassvm
