// gdb's `monitor …` commands (qRcmd, gdb manual "General Query Packets"): glassvm's own
// commands, for what gdb has no words for — VM exits, exit statistics, the VM itself.
#include <fmt/format.h>

#include "vmm/debug/exit_stats.hpp"
#include "vmm/debug/gdb/gdb_stub.hpp"
#include "vmm/x86/long_mode.hpp"

namespace glassvm {

namespace {

constexpr std::string_view kHelp =
    "glassvm monitor commands:\n"
    "  monitor exits on    stop at every VM exit, before glassvm handles it: each 'continue' steps\n"
    "                      one exit, and a line before the stop says which exit it is\n"
    "  monitor exits off   run freely again (breakpoints, Ctrl-C and the VM's end still stop)\n"
    "  monitor exits       say whether exit stepping is on\n"
    "  monitor stats       exit statistics so far: count and time per exit reason and device\n"
    "  monitor info        the VM, the vCPU, memory, and which guest-debug exits this host delivers\n"
    "  monitor help        this list\n";

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) text.remove_suffix(1);
    return text;
}

std::string exit_stepping(bool on) {
    return on ? "exit stepping is on: each 'continue' stops at the next VM exit, before it is handled\n"
              : "exit stepping is off\n";
}

}  // namespace

std::string GdbStub::run_monitor_command(VcpuContext& context, std::string_view line) {
    std::string_view command = trimmed(line);
    if (command.empty() || command == "help") return std::string(kHelp);
    if (command == "exits on" || command == "exits off") {
        m_report_exits = command == "exits on";
        return exit_stepping(m_report_exits);
    }
    if (command == "exits") return exit_stepping(m_report_exits);
    if (command == "stats") return m_stats ? m_stats->render_table() : "no exit statistics are being kept\n";
    if (command == "info") return describe_vm(context);
    return fmt::format("unknown monitor command '{}'; 'monitor help' lists them\n", command);
}

std::string GdbStub::describe_vm(VcpuContext& context) const {
    kvm_regs regs = context.vcpu.regs();
    kvm_sregs sregs = context.vcpu.sregs();
    bool paging = (sregs.cr0 & x86::kCr0Pg) != 0;
    std::string text = fmt::format(
        "glassvm VM: gdb debugs vCPU {} (thread 1); {} MiB of guest RAM\n"
        "  stopped at rip={:#x}, cs={:#x} (cpl {}), paging {}, cr3={:#x}\n",
        context.vcpu.index(), context.memory.size() >> 20, regs.rip, sregs.cs.selector, sregs.cs.dpl,
        paging ? "on" : "off", sregs.cr3);
    text += exit_stepping(m_report_exits);
    text += fmt::format("breakpoints: {} software (int3), {} hardware (debug registers)\n",
                        m_breakpoints.software_count(), m_breakpoints.hardware_count());
    text += fmt::format("guest-debug exits on this host: {}\n", m_support.summary);
    if (!m_support.all())
        text +=
            "  what this host lacks is refused with error E95 instead of hanging;"
            " 'monitor exits on' always works\n";
    return text;
}

}  // namespace glassvm
