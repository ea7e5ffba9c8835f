// The GDB stub's session: waiting for gdb, reporting stops, serving packets while the guest is
// stopped, resuming, detaching, and what happens when the VM or the connection ends.
#include "vmm/debug/gdb/gdb_stub.hpp"

#include <cstring>
#include <functional>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <glassvm/abi.hpp>

#include "base/error.hpp"
#include "vmm/debug/exit_description.hpp"
#include "vmm/run/vcpu_runner.hpp"

namespace glassvm {

namespace {

// The stop gdb sees for an exit, a step, Ctrl-C (gdb manual, "Stop Reply Packets"; 05 is
// SIGTRAP, 02 SIGINT). glassvm shows gdb one thread, number 1: vCPU 0.
constexpr std::string_view kTrapStop = "T05thread:01;";
constexpr std::string_view kInterruptStop = "T02thread:01;";

void say_what_is_unavailable(const gdb::GuestDebugSupport& support) {
    if (!support.probed) {  // no usable /dev/kvm, most likely: building the VM will say why
        fmt::print(stderr, "glassvm: could not probe guest debugging ({}); breakpoints and single-step are off\n",
                   support.summary);
        return;
    }
    // KVM's gaps are the host's (nested KVM, mostly); another backend's are its own.
    bool kvm = support.accelerator == "KVM";
    std::string lacking = kvm ? "this host's KVM" : "the " + support.accelerator;
    std::string_view hint = kvm ? " (nested KVM?)" : "";
    if (!support.any()) {
        fmt::print(stderr,
                   "glassvm: {} does not deliver guest-debug exits{}: breakpoints and single-step are unavailable; "
                   "exit stepping with 'monitor exits on' works\n",
                   lacking, hint);
        return;
    }
    std::vector<std::string_view> missing;
    if (!support.kernel_single_step) missing.push_back("single-step in the kernel (ring 0)");
    if (!support.user_single_step) missing.push_back("single-step in user mode (ring 3)");
    if (!support.software_breakpoints) missing.push_back("software breakpoints (break)");
    if (support.hardware_breakpoints == 0) missing.push_back("hardware breakpoints (hbreak)");
    if (missing.empty()) return;
    fmt::print(stderr,
               "glassvm: {} does not deliver every guest-debug exit{}: {} unavailable; exit stepping with 'monitor "
               "exits on' works\n",
               lacking, hint, fmt::join(missing, ", "));
}

std::string debug_stop_reply(const gdb::Breakpoints& breakpoints, const DebugExit& debug, bool gdb_knows_reasons) {
    std::string reason;
    if (gdb_knows_reasons && debug.exception == gdb::kBreakpointException && breakpoints.has_software(debug.pc))
        reason = "swbreak:;";
    else if (gdb_knows_reasons && debug.exception == gdb::kDebugException && (debug.dr6 & 0xf))
        reason = "hwbreak:;";  // DR6.B0–B3: a debug-register breakpoint fired
    return fmt::format("T05{}thread:01;", reason);
}

}  // namespace

GdbStub::GdbStub(std::string_view address, const ExitStats* stats, AcceleratorChoice accelerator)
        : m_listener(std::make_unique<gdb::GdbListener>(gdb::parse_listen_address(address))),
          m_stats(stats),
          m_applied_debug(GuestDebugRequest{}) {  // a new vCPU starts with guest debugging off
    m_support = gdb::probe_guest_debug(std::chrono::seconds(2), accelerator);
    say_what_is_unavailable(m_support);
}

GdbStub::~GdbStub() = default;

void GdbStub::on_start(VcpuContext& context) {
    if (context.vcpu.index() != 0) return;  // gdb sees vCPU 0 only
    m_stop = &context.stop;
    {
        std::lock_guard lock(m_mutex);
        m_vcpu = &context.vcpu;
        m_vcpu_thread = context.thread;
    }
    fmt::print(stderr, "glassvm: waiting for gdb on {}\n", m_listener->address());
    std::optional<Fd> socket = m_listener->accept([&] { return context.stop.stopping(); });
    m_listener.reset();  // one gdb session per run
    if (!socket) return;
    m_connection =
        std::make_unique<gdb::GdbConnection>(std::move(*socket), [this](gdb::UrgentEvent event) { on_urgent(event); });
    m_attached = true;
    serve(context, std::nullopt);  // gdb asks with `?` where the guest stands
}

ExitVerdict GdbStub::before_exit(VcpuContext& context, const ExitEvent& event) {
    if (context.vcpu.index() != 0) return ExitVerdict::Handle;
    if (auto* debug = std::get_if<DebugExit>(&event.exit)) return handle_debug_exit(context, *debug);
    if (m_attached && m_report_exits) report_exit(context, event);
    return ExitVerdict::Handle;
}

void GdbStub::on_interrupted(VcpuContext& context) {
    if (!m_attached || context.vcpu.index() != 0) return;
    bool interrupted = false, hung_up = false;
    {
        std::lock_guard lock(m_mutex);
        interrupted = m_interrupt_requested;
        hung_up = m_hung_up;
    }
    if (hung_up) {
        detach(context, true);
    } else if (interrupted) {
        serve(context, std::string(kInterruptStop));
    }
}

ExitVerdict GdbStub::handle_debug_exit(VcpuContext& context, const DebugExit& debug) {
    if (!m_attached) return ExitVerdict::Skip;  // a late one after detaching: nothing to do
    if (debug.exception == gdb::kBreakpointException && !m_breakpoints.has_software(debug.pc)) {
        apply_guest_debug(context, true);  // the guest's own int3: give it back to the guest
        return ExitVerdict::Skip;
    }
    serve(context, debug_stop_reply(m_breakpoints, debug, m_gdb_knows_stop_reasons));
    return ExitVerdict::Skip;
}

void GdbStub::report_exit(VcpuContext& context, const ExitEvent& event) {
    std::string exit = describe_exit_details(event.exit, context.bus);  // "IO out port=0x3f8 … -> serial"
    m_connection->send_console_output(fmt::format("exit #{}: {}\n", event.sequence, exit));
    serve(context, std::string(kTrapStop));
}

void GdbStub::serve(VcpuContext& context, std::optional<std::string> stop_reply) {
    {
        std::lock_guard lock(m_mutex);
        m_running = false;
        m_interrupt_requested = false;  // this stop answers any Ctrl-C
    }
    if (stop_reply) {
        m_last_stop = *stop_reply;
        m_connection->send_packet(*stop_reply);
    }
    while (!context.stop.stopping()) {  // e.g. --timeout: the VM ends, gdb's connection with it
        std::optional<std::string> packet = m_connection->next_packet(gdb::kStopCheckInterval);
        if (!packet) {
            if (m_connection->disconnected()) return detach(context, true);
            continue;
        }
        Response response = handle_packet(context, *packet);
        switch (response.action) {
            case Action::Reply:
                m_connection->send_packet(response.reply);
                break;
            case Action::Continue:
            case Action::Step:
                return resume(context, response.action);
            case Action::Detach:
                m_connection->send_packet("OK");
                return detach(context, false);
            case Action::Kill:
                return kill(context);
        }
    }
}

void GdbStub::resume(VcpuContext& context, Action how) {
    m_stepping = how == Action::Step;
    apply_guest_debug(context);
    std::lock_guard lock(m_mutex);
    m_running = true;
    // A Ctrl-C or hang-up that arrived while we were serving must not wait for the next exit.
    if (m_interrupt_requested || m_hung_up) context.vcpu.request_exit();
}

void GdbStub::detach(VcpuContext& context, bool hung_up) {
    m_breakpoints.clear(guest_memory(context));
    m_stepping = false;
    m_report_exits = false;
    apply_guest_debug(context);
    m_attached = false;
    {
        std::lock_guard lock(m_mutex);
        m_running = false;
    }
    m_connection.reset();  // not under m_mutex: joins the reader, which may be waiting for it
    if (hung_up) fmt::print(stderr, "glassvm: gdb hung up; detached, the guest runs on\n");
}

void GdbStub::kill(VcpuContext& context) {
    m_attached = false;
    {
        std::lock_guard lock(m_mutex);
        m_running = false;
    }
    m_connection.reset();
    context.stop.request({StopReason::Stopped, kExitStopped, "gdb killed the VM", {}});
}

void GdbStub::apply_guest_debug(VcpuContext& context, bool inject_breakpoint) {
    GuestDebugRequest debug = m_breakpoints.guest_debug(m_stepping);
    debug.inject_breakpoint = inject_breakpoint;
    bool unchanged = m_applied_debug && *m_applied_debug == debug;
    if (unchanged && !inject_breakpoint) return;
    context.vcpu.set_guest_debug(debug);
    // An injection happens once: the next call must set the flags again.
    m_applied_debug = inject_breakpoint ? std::nullopt : std::optional(debug);
}

void GdbStub::on_urgent(gdb::UrgentEvent event) {
    std::lock_guard lock(m_mutex);
    if (event == gdb::UrgentEvent::Interrupt) {
        m_interrupt_requested = true;
    } else {
        m_hung_up = true;
    }
    if (m_running && m_vcpu) kick(*m_vcpu, m_vcpu_thread);
}

void GdbStub::on_finish(VcpuContext& context) {
    if (context.vcpu.index() != 0) return;
    bool gdb_waiting = false;
    {
        std::lock_guard lock(m_mutex);
        m_vcpu = nullptr;  // no more kicks: the thread is going
        gdb_waiting = m_running;
        m_running = false;
    }
    if (!m_connection) return;
    std::optional<StopReport> report = m_stop->wait_until(std::chrono::steady_clock::now());
    // gdb waiting for a stop hears how the VM ended: "[Inferior 1 (process 1) exited …]".
    if (m_attached && gdb_waiting && report)
        m_connection->send_packet(fmt::format("W{:02x}", static_cast<uint8_t>(report->exit_status)));
    m_attached = false;
    m_connection.reset();
}

}  // namespace glassvm
