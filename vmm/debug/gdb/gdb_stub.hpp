// `glassvm run --gdb [HOST:]PORT`: a GDB remote-protocol stub for vCPU 0 (gdb manual,
// "Remote Protocol"). It waits for gdb before the guest's first instruction; while gdb has the
// guest stopped, the vCPU thread itself serves gdb's packets (registers and memory need the
// vCPU's own thread); while the guest runs, the connection's reader thread watches for Ctrl-C
// and hang-ups and kicks the vCPU out of KVM_RUN.
//
// Stops gdb sees: a breakpoint or single-step (KVM_EXIT_DEBUG, where the host delivers it —
// debug_probe.hpp), Ctrl-C (SIGINT), and with `monitor exits on` every VM exit before it is
// handled (SIGTRAP, after an `O` line naming the exit). When the VM ends while gdb waits, gdb
// gets `W` with glassvm's exit status.
//
// Connection trouble is never the guest's: a bad checksum is answered `-` (gdb resends),
// garbage between packets is skipped, and a hang-up — mid-packet, while stopped or while
// running — detaches: breakpoints are removed, guest debugging is switched off and the guest
// runs on to its normal end. `D` does the same on request; `k` ends the VM with status 117.
#pragma once

#include <pthread.h>

#include <linux/kvm.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "vmm/debug/gdb/debug_probe.hpp"
#include "vmm/debug/gdb/gdb_connection.hpp"
#include "vmm/debug/gdb/guest_access.hpp"
#include "vmm/debug/gdb/registers.hpp"
#include "vmm/run/vcpu_observer.hpp"

namespace glassvm {

class ExitStats;

class GdbStub final : public VcpuObserver {
public:
    // Binds `address` ([HOST:]PORT) — an Error now, before the VM is built, if it cannot — and
    // probes what guest debugging the backend `accelerator` opens (the VM's) delivers, saying
    // once on stderr what is not available. `stats` (may be null) answers `monitor stats`.
    GdbStub(std::string_view address, const ExitStats* stats, AcceleratorChoice accelerator = AcceleratorChoice::Auto);
    ~GdbStub() override;
    GdbStub(const GdbStub&) = delete;
    GdbStub& operator=(const GdbStub&) = delete;

    bool may_pause() const override { return true; }  // it waits for gdb in before_exit
    void on_start(VcpuContext& context) override;
    ExitVerdict before_exit(VcpuContext& context, const ExitEvent& event) override;
    void on_interrupted(VcpuContext& context) override;
    void on_finish(VcpuContext& context) override;

private:
    // What serving one packet asks of the session (gdb_packets.cpp).
    enum class Action {
        Reply,
        Continue,
        Step,
        Detach,
        Kill
    };
    struct Response {
        Action action = Action::Reply;
        std::string reply;
    };
    static Response reply(std::string text) { return {Action::Reply, std::move(text)}; }

    // The session (gdb_stub.cpp), all on the vCPU thread.
    void serve(VcpuContext& context, std::optional<std::string> stop_reply);
    void resume(VcpuContext& context, Action how);
    void detach(VcpuContext& context, bool hung_up);
    void kill(VcpuContext& context);
    void report_exit(VcpuContext& context, const ExitEvent& event);
    ExitVerdict handle_debug_exit(VcpuContext& context, const DebugExit& debug);
    void apply_guest_debug(VcpuContext& context, bool inject_breakpoint = false);
    void on_urgent(gdb::UrgentEvent event);  // the reader thread

    // Packets (gdb_packets.cpp).
    Response handle_packet(VcpuContext& context, std::string_view packet);
    Response handle_query(VcpuContext& context, std::string_view packet);
    Response handle_v_packet(VcpuContext& context, std::string_view packet);
    Response write_registers(VcpuContext& context, std::string_view packet);
    Response read_memory(VcpuContext& context, std::string_view arguments);
    Response write_memory(VcpuContext& context, std::string_view packet);
    Response change_breakpoint(VcpuContext& context, std::string_view packet);
    Response resume_request(VcpuContext& context, std::string_view address, Action how);
    static gdb::GuestAccess guest_memory(VcpuContext& context);
    // Why a single step from here cannot be done on this host, if it cannot.
    std::optional<std::string> why_step_is_unavailable(VcpuContext& context);

    // `monitor …` (gdb_packets.cpp): the text to show.
    std::string run_monitor_command(VcpuContext& context, std::string_view line);
    std::string describe_vm(VcpuContext& context) const;

    gdb::GuestDebugSupport m_support;
    std::unique_ptr<gdb::GdbListener> m_listener;
    const ExitStats* m_stats;

    // Owned by the vCPU thread.
    std::unique_ptr<gdb::GdbConnection> m_connection;
    bool m_attached = false;                // a gdb session is on: not yet detached, killed or ended
    bool m_report_exits = false;            // monitor exits on
    bool m_stepping = false;                // the current resume is a single step
    bool m_gdb_knows_stop_reasons = false;  // gdb said swbreak+ (and hwbreak+) in qSupported
    gdb::Breakpoints m_breakpoints;
    std::string m_last_stop = "T05thread:01;";  // before the first instruction: SIGTRAP
    std::optional<GuestDebugRequest> m_applied_debug;
    StopControl* m_stop = nullptr;

    // Shared with the reader thread.
    std::mutex m_mutex;
    bool m_running = false;              // gdb waits for a stop reply
    bool m_interrupt_requested = false;  // Ctrl-C not yet answered
    bool m_hung_up = false;
    VirtualCpu* m_vcpu = nullptr;  // for the kick; nullptr once the vCPU thread ended
    pthread_t m_vcpu_thread{};
};

}  // namespace glassvm
