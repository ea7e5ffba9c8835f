// `--exit-stats`: where a VM's time went, per exit reason and per device/port — count, time in
// the VMM handling the exits, time in the guest between them, and the p50/p99 round trip.
//
// Round trip of an exit = from KVM_RUN returning with it to KVM_RUN returning with the vCPU's
// next exit: handling in the VMM, re-entry, the guest's run to its next exit, and the trip out.
// For a guest that exits in a tight loop that is the exit's full cost as the guest sees it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vmm/debug/latency_histogram.hpp"
#include "vmm/run/vcpu_observer.hpp"

namespace glassvm {

class ExitStats final : public VcpuObserver {
public:
    void after_exit(VcpuContext& context, const ExitEvent& event, const HandledExit& handled) override;

    // Where an exit happened. The strings must be literals or otherwise outlive the stats (exit
    // and device names are), so recording an exit formats and allocates nothing.
    enum class Where {
        Nowhere,
        Port,
        Mmio
    };
    struct Key {
        std::string_view reason;  // "IO", "MMIO", "HLT", …
        Where where = Where::Nowhere;
        uint64_t address = 0;
        std::string_view device;  // "serial", "exit", "unmapped", ""
        bool operator==(const Key&) const = default;
    };

    // Records one exit: the testable core of after_exit.
    void record(int vcpu, const Key& key, std::chrono::nanoseconds since_boot, std::chrono::nanoseconds in_guest,
                std::chrono::nanoseconds in_vmm);

    struct Row {
        std::string reason;
        std::string location;  // "port 0x3f8", "gpa 0xe0000000", "" for reasons without one
        std::string device;
        uint64_t count = 0;
        std::chrono::nanoseconds in_vmm{0};
        std::chrono::nanoseconds in_guest{0};
        LatencyHistogram round_trip;
    };
    // One row per (reason, location, device), most frequent first, and the per-reason totals.
    std::vector<Row> by_location() const;
    std::vector<Row> by_reason() const;
    uint64_t total_exits() const;

    std::string render_table() const;
    std::string render_json() const;

private:
    struct PendingRoundTrip {
        size_t row;
        std::chrono::nanoseconds exited;
    };
    // Small and contiguous, so finding an exit's row touches one or two cache lines; the 15 KiB
    // histogram lives out of line (inline, each row search crossed pages: ~3% of an exit here).
    struct Counters {
        Key key;
        uint64_t count = 0;
        std::chrono::nanoseconds in_vmm{0};
        std::chrono::nanoseconds in_guest{0};
        std::unique_ptr<LatencyHistogram> round_trip = std::make_unique<LatencyHistogram>();
    };
    Counters& counters_for(const Key& key);

    mutable std::mutex m_mutex;
    std::vector<Counters> m_rows;
    std::vector<std::optional<PendingRoundTrip>> m_pending;  // per vCPU: the exit awaiting its round trip
};

}  // namespace glassvm
