// The packets the GDB stub serves while the guest is stopped (gdb manual, "Remote Protocol" →
// "Packets", "General Query Packets", "Host I/O"-free subset). Anything not listed gets the
// empty reply, which tells gdb "not supported" and is always safe. And gdb's `monitor …`
// commands (qRcmd): glassvm's own, for what gdb has no words for (VM exits, exit statistics).
#include <cstring>

#include <fmt/format.h>

#include "vmm/debug/exit_stats.hpp"
#include "vmm/debug/gdb/gdb_stub.hpp"
#include "vmm/debug/gdb/packet.hpp"
#include "vmm/debug/gdb/registers.hpp"
#include "vmm/x86/cpu_state.hpp"

namespace glassvm {

namespace {

// Error replies, errno-style as gdbserver and QEMU write them.
constexpr std::string_view kMalformed = "E01";    // the packet does not parse
constexpr std::string_view kBadAddress = "E14";   // EFAULT: not mapped by the guest, or not RAM
constexpr std::string_view kNoSlot = "E16";       // EBUSY: all four debug registers are in use
constexpr std::string_view kUnavailable = "E95";  // EOPNOTSUPP: this host's KVM cannot do it

// The most guest memory one `m` reply carries: two hex digits a byte, within PacketSize.
constexpr uint64_t kMaxReadLength = gdb::kMaxPacketSize / 2 - 16;

gdb::CpuState read_cpu(VcpuContext& context) { return {context.vcpu.regs(), context.vcpu.sregs()}; }

// Writes back only what changed: KVM_SET_SREGS is not free, and rarely needed.
void write_cpu(VcpuContext& context, const gdb::CpuState& before, const gdb::CpuState& after) {
    if (std::memcmp(&before.regs, &after.regs, sizeof after.regs) != 0) context.vcpu.set_regs(after.regs);
    if (std::memcmp(&before.sregs, &after.sregs, sizeof after.sregs) != 0) context.vcpu.set_sregs(after.sregs);
}

}  // namespace

gdb::GuestAccess GdbStub::guest_memory(VcpuContext& context) {
    return gdb::GuestAccess(context.memory, [&context](uint64_t address) { return context.translate(address); });
}

GdbStub::Response GdbStub::handle_packet(VcpuContext& context, std::string_view packet) {
    if (packet.empty()) return reply("");
    std::string_view arguments = packet.substr(1);
    switch (packet[0]) {
        case '?':
            return reply(m_last_stop);
        case 'g':
            return reply(gdb::encode_all_registers(read_cpu(context)));
        case 'G':
        case 'P':
            return write_registers(context, packet);
        case 'p': {
            auto number = gdb::parse_hex_number(arguments);
            auto value = number ? gdb::encode_register(read_cpu(context), *number) : std::nullopt;
            return reply(value ? *value : std::string(kMalformed));
        }
        case 'm':
            return read_memory(context, arguments);
        case 'M':
        case 'X':
            return write_memory(context, packet);
        case 'c':
            return resume_request(context, arguments, Action::Continue);
        case 's':
            return resume_request(context, arguments, Action::Step);
        case 'C':  // continue or step "with signal": there are no signals to deliver to a VM
        case 'S': {
            size_t semicolon = arguments.find(';');
            std::string_view address = semicolon == std::string_view::npos ? "" : arguments.substr(semicolon + 1);
            return resume_request(context, address, packet[0] == 'C' ? Action::Continue : Action::Step);
        }
        case 'Z':
        case 'z':
            return change_breakpoint(context, packet);
        case 'D':
            return {Action::Detach, "OK"};
        case 'k':
            return {Action::Kill, {}};
        case 'H':  // select a thread: there is one
        case 'T':
            return reply("OK");  // is the thread alive: it is
        case 'q':
        case 'Q':
            return handle_query(context, packet);
        case 'v':
            return handle_v_packet(context, packet);
        default:
            return reply("");
    }
}

GdbStub::Response GdbStub::handle_query(VcpuContext& context, std::string_view packet) {
    if (packet.starts_with("qSupported")) {
        m_gdb_knows_stop_reasons = packet.find("swbreak+") != std::string_view::npos;
        return reply(fmt::format("PacketSize={:x};qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+",
                                 gdb::kMaxPacketSize));
    }
    if (packet.starts_with("qXfer:features:read:")) {
        auto request = gdb::parse_features_read(packet);
        if (!request) return reply(std::string(kMalformed));
        auto chunk = gdb::read_target_description(request->annex, request->offset, request->length);
        return reply(chunk ? *chunk : "E00");
    }
    if (packet == "QStartNoAckMode") {
        m_connection->stop_acknowledging();
        return reply("OK");
    }
    if (packet.starts_with("qAttached")) return reply("1");  // we attached to a running VM: kill ends it
    if (packet == "qC") return reply("QC1");
    if (packet == "qfThreadInfo") return reply("m1");
    if (packet == "qsThreadInfo") return reply("l");
    if (packet.starts_with("qSymbol")) return reply("OK");  // no symbols wanted
    if (packet.starts_with("qRcmd,")) {
        auto command = gdb::from_hex(packet.substr(std::strlen("qRcmd,")));
        if (!command) return reply(std::string(kMalformed));
        std::string output = run_monitor_command(context, std::string(command->begin(), command->end()));
        return reply(output.empty() ? "OK" : gdb::to_hex(output));
    }
    return reply("");
}

GdbStub::Response GdbStub::handle_v_packet(VcpuContext& context, std::string_view packet) {
    if (packet == "vCont?") return reply("vCont;c;C;s;S");
    if (!packet.starts_with("vCont;")) return reply("");  // vMustReplyEmpty and all the others
    // "vCont;ACTION[:THREAD];…": with one thread, the first action is the one for it.
    std::string_view action = packet.substr(std::strlen("vCont;"));
    if (action.empty()) return reply(std::string(kMalformed));
    switch (action[0]) {
        case 'c':
        case 'C':
            return resume_request(context, "", Action::Continue);
        case 's':
        case 'S':
            return resume_request(context, "", Action::Step);
        default:
            return reply(std::string(kMalformed));
    }
}

GdbStub::Response GdbStub::write_registers(VcpuContext& context, std::string_view packet) {
    gdb::CpuState before = read_cpu(context);
    gdb::CpuState after = before;
    bool written = false;
    if (packet[0] == 'G') {
        written = gdb::decode_all_registers(packet.substr(1), after);
    } else {
        auto assignment = gdb::parse_register_assignment(packet);
        written = assignment && gdb::decode_register(assignment->value, assignment->number, after);
    }
    if (!written) return reply(std::string(kMalformed));
    write_cpu(context, before, after);
    return reply("OK");
}

GdbStub::Response GdbStub::read_memory(VcpuContext& context, std::string_view arguments) {
    auto range = gdb::parse_address_length(arguments);
    if (!range) return reply(std::string(kMalformed));
    uint64_t length = std::min(range->length, kMaxReadLength);
    std::vector<uint8_t> bytes = guest_memory(context).read(range->address, length);
    if (bytes.empty() && length > 0) return reply(std::string(kBadAddress));
    return reply(gdb::to_hex(bytes));  // possibly fewer bytes: the rest is not readable
}

GdbStub::Response GdbStub::write_memory(VcpuContext& context, std::string_view packet) {
    auto request = gdb::parse_memory_write(packet);
    if (!request) return reply(std::string(kMalformed));
    if (request->data.empty()) return reply("OK");  // gdb's probe for X support
    return reply(guest_memory(context).write(request->address, request->data) ? "OK" : std::string(kBadAddress));
}

GdbStub::Response GdbStub::change_breakpoint(VcpuContext& context, std::string_view packet) {
    // "Z0,ADDR,KIND" inserts, "z0,ADDR,KIND" removes; 0 software, 1 hardware, 2–4 watchpoints.
    auto request = gdb::parse_breakpoint(packet);
    if (!request) return reply(std::string(kMalformed));
    bool insert = request->change == gdb::BreakpointRequest::Change::Insert;
    uint64_t address = request->address;
    if (request->type == '0') {
        if (!m_support.software_breakpoints) return reply(std::string(kUnavailable));
        gdb::GuestAccess memory = guest_memory(context);
        if (insert && !m_breakpoints.insert_software(memory, address)) return reply(std::string(kBadAddress));
        if (!insert) m_breakpoints.remove_software(memory, address);
    } else if (request->type == '1') {
        if (m_support.hardware_breakpoints == 0) return reply(std::string(kUnavailable));
        if (insert && !m_breakpoints.insert_hardware(address, m_support.hardware_breakpoints))
            return reply(std::string(kNoSlot));
        if (!insert) m_breakpoints.remove_hardware(address);
    } else {
        return reply("");  // watchpoints are not supported
    }
    apply_guest_debug(context);
    return reply("OK");
}

GdbStub::Response GdbStub::resume_request(VcpuContext& context, std::string_view address, Action how) {
    if (how == Action::Step) {
        if (auto reason = why_step_is_unavailable(context)) {
            // gdb waits for a stop reply, so console output is allowed here; then it warns
            // "Remote failure reply: E95" and treats the guest as still stopped.
            m_connection->send_console_output("glassvm: " + *reason + "\n");
            return reply(std::string(kUnavailable));
        }
    }
    if (!address.empty()) {  // "c ADDR": resume at ADDR
        auto rip = gdb::parse_hex_number(address);
        if (!rip) return reply(std::string(kMalformed));
        kvm_regs regs = context.vcpu.regs();
        regs.rip = *rip;
        context.vcpu.set_regs(regs);
    }
    return {how, {}};
}

std::optional<std::string> GdbStub::why_step_is_unavailable(VcpuContext& context) {
    const gdb::GuestDebugSupport& can = m_support;
    if (can.kernel_single_step && can.user_single_step) return std::nullopt;
    bool user_mode = context.vcpu.sregs().cs.dpl == 3;
    if (user_mode && !can.user_single_step)
        return "single-step in user mode (ring 3) is unavailable: this host's KVM does not deliver that debug exit";
    if (!user_mode && !can.kernel_single_step)
        return "single-step is unavailable: this host's KVM does not deliver guest-debug exits";
    std::vector<uint8_t> instruction = guest_memory(context).read(context.vcpu.regs().rip, 4);
    if (!can.user_single_step && gdb::may_enter_user_mode(instruction))
        return "this instruction may enter user mode (ring 3), which this host's KVM cannot single-step; "
               "use 'continue' (with 'monitor exits on' to stop at the next VM exit)";
    return std::nullopt;
}

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
