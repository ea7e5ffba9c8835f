// Accumulating exit statistics and rendering them as a table or JSON.
#include "vmm/debug/exit_stats.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace glassvm {

namespace {

std::string location_of(const ExitStats::Key& key) {
    switch (key.where) {
        case ExitStats::Where::Port:
            return fmt::format("port {:#x}", key.address);
        case ExitStats::Where::Mmio:
            return fmt::format("gpa {:#x}", key.address);
        case ExitStats::Where::Nowhere:
            break;
    }
    return {};
}

std::string human_duration(std::chrono::nanoseconds duration) {
    double ns = static_cast<double>(duration.count());
    if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
    if (ns < 1e6) return fmt::format("{:.1f} us", ns / 1e3);
    if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
    return fmt::format("{:.2f} s", ns / 1e9);
}

void merge(ExitStats::Row& into, const ExitStats::Row& from) {
    into.count += from.count;
    into.in_vmm += from.in_vmm;
    into.in_guest += from.in_guest;
    into.round_trip.merge(from.round_trip);
}

}  // namespace

void ExitStats::after_exit(VcpuContext&, const ExitEvent& event, const HandledExit& handled) {
    Key key{.reason = exit_name(event.exit), .where = Where::Nowhere, .address = 0, .device = {}};
    if (auto* io = std::get_if<PortIoExit>(&event.exit)) {
        key.where = Where::Port;
        key.address = io->port;
    } else if (auto* mmio = std::get_if<MmioExit>(&event.exit)) {
        key.where = Where::Mmio;
        key.address = mmio->address;
    }
    if (handled.device)
        key.device = handled.device->name();
    else if (key.where != Where::Nowhere)
        key.device = "unmapped";
    record(event.vcpu, key, event.since_boot, event.in_guest, handled.in_vmm);
}

ExitStats::Counters& ExitStats::counters_for(const Key& key) {
    // A run has a handful of distinct rows: a linear search beats any map here.
    for (Counters& row : m_rows)
        if (row.key == key) return row;
    return m_rows.emplace_back(Counters{.key = key});
}

void ExitStats::record(int vcpu, const Key& key, std::chrono::nanoseconds since_boot, std::chrono::nanoseconds in_guest,
                       std::chrono::nanoseconds in_vmm) {
    std::lock_guard lock(m_mutex);
    // The previous exit of this vCPU completes its round trip now.
    if (static_cast<size_t>(vcpu) >= m_pending.size()) m_pending.resize(static_cast<size_t>(vcpu) + 1);
    auto& pending = m_pending[static_cast<size_t>(vcpu)];
    if (pending) m_rows[pending->row].round_trip->record(static_cast<uint64_t>((since_boot - pending->exited).count()));

    Counters& row = counters_for(key);
    ++row.count;
    row.in_vmm += in_vmm;
    row.in_guest += in_guest;
    pending = PendingRoundTrip{static_cast<size_t>(&row - m_rows.data()), since_boot};
}

std::vector<ExitStats::Row> ExitStats::by_location() const {
    std::lock_guard lock(m_mutex);
    std::vector<Row> rows;
    for (const Counters& counters : m_rows)
        rows.push_back(Row{.reason = std::string(counters.key.reason),
                           .location = location_of(counters.key),
                           .device = std::string(counters.key.device),
                           .count = counters.count,
                           .in_vmm = counters.in_vmm,
                           .in_guest = counters.in_guest,
                           .round_trip = *counters.round_trip});
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.count > b.count; });
    return rows;
}

std::vector<ExitStats::Row> ExitStats::by_reason() const {
    std::vector<Row> totals;
    for (const Row& row : by_location()) {
        auto it = std::find_if(totals.begin(), totals.end(), [&](const Row& t) { return t.reason == row.reason; });
        if (it == totals.end()) {
            Row& total = totals.emplace_back();
            total.reason = row.reason;
            it = totals.end() - 1;
        }
        merge(*it, row);
    }
    return totals;
}

uint64_t ExitStats::total_exits() const {
    std::lock_guard lock(m_mutex);
    uint64_t total = 0;
    for (const Counters& row : m_rows) total += row.count;
    return total;
}

std::string ExitStats::render_table() const {
    std::vector<Row> rows = by_location();
    std::vector<Row> totals = by_reason();
    std::string text = fmt::format("exit statistics: {} exits\n", total_exits());
    text += fmt::format("{:<16} {:<18} {:<10} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11}\n", "reason", "where", "device",
                        "count", "vmm total", "vmm mean", "guest total", "rt p50", "rt p99");
    auto line = [&](const Row& row, std::string_view where, std::string_view device) {
        auto mean = row.count ? row.in_vmm / static_cast<int64_t>(row.count) : std::chrono::nanoseconds(0);
        bool has_round_trip = row.round_trip.count() > 0;
        text += fmt::format(
            "{:<16} {:<18} {:<10} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11}\n", row.reason, where, device, row.count,
            human_duration(row.in_vmm), human_duration(mean), human_duration(row.in_guest),
            has_round_trip ? human_duration(std::chrono::nanoseconds(row.round_trip.percentile(0.5))) : "-",
            has_round_trip ? human_duration(std::chrono::nanoseconds(row.round_trip.percentile(0.99))) : "-");
    };
    for (const Row& row : rows)
        line(row, row.location.empty() ? "-" : row.location, row.device.empty() ? "-" : row.device);
    text += "per reason:\n";
    for (const Row& row : totals) line(row, "(all)", "");
    return text;
}

std::string ExitStats::render_json() const {
    auto to_json = [](const Row& row) {
        nlohmann::json object = {{"reason", row.reason},
                                 {"count", row.count},
                                 {"vmm_ns", row.in_vmm.count()},
                                 {"guest_ns", row.in_guest.count()},
                                 {"round_trips", row.round_trip.count()},
                                 {"round_trip_p50_ns", row.round_trip.percentile(0.5)},
                                 {"round_trip_p99_ns", row.round_trip.percentile(0.99)}};
        if (!row.location.empty()) object["where"] = row.location;
        if (!row.device.empty()) object["device"] = row.device;
        return object;
    };
    nlohmann::json document = {{"total_exits", total_exits()},
                               {"by_reason", nlohmann::json::array()},
                               {"by_location", nlohmann::json::array()}};
    for (const Row& row : by_reason()) document["by_reason"].push_back(to_json(row));
    for (const Row& row : by_location()) document["by_location"].push_back(to_json(row));
    return document.dump(2);
}

}  // namespace glassvm
