// The checks on a box's limits and environment (see box_limits.hpp): one implementation for
// `glassvm box run`'s options and glassvmd's POST /instances.
#include "container/box_limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "base/error.hpp"

namespace glassvm {

namespace {

constexpr uint64_t kCpuPeriodMicroseconds = 100'000;

}  // namespace

uint64_t checked_box_memory(uint64_t bytes, std::string_view as_given, std::string_view option) {
    if (bytes < kMinimumBoxMemory) throw_bad_input("{}: {} is too small for a box (at least 4M)", option, as_given);
    return bytes;
}

std::optional<uint64_t> parse_box_pids(std::string_view text) {
    // from_chars takes no sign, spaces or exponent: "-5", " 5" and "1e3" are not counts.
    uint64_t count = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    if (count < 1 || count > static_cast<uint64_t>(kMaxBoxPids)) return std::nullopt;
    return count;
}

std::string not_a_process_count(std::string_view text) {
    return fmt::format("'{}' is not a number of processes from 1 to {}", text, kMaxBoxPids);
}

container::CpuQuota box_cpu_quota(double cpus, std::string_view option) {
    long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    // Written so that NaN fails too; 1e308 would overflow the quota's integer.
    if (!(cpus >= 0.01) || !(cpus <= static_cast<double>(online)))
        throw_bad_input("{}: {} is not between 0.01 and the {} CPUs this host has", option, cpus, online);
    return {static_cast<uint64_t>(std::llround(cpus * kCpuPeriodMicroseconds)), kCpuPeriodMicroseconds};
}

void check_env_assignment(const std::string& assignment, std::string_view option) {
    size_t equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) throw_bad_input("{}: '{}' is not KEY=VALUE", option, assignment);
}

void set_env(std::vector<std::string>& env, const std::string& assignment, std::string_view option) {
    check_env_assignment(assignment, option);
    std::string key = assignment.substr(0, assignment.find('=') + 1);
    std::erase_if(env, [&](const std::string& existing) { return existing.starts_with(key); });
    env.push_back(assignment);
}

}  // namespace glassvm
