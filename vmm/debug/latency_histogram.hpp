// Percentiles of latencies in bounded memory: a log-linear histogram (as HdrHistogram does)
// with 32 buckets per power of two, so any percentile is within ~3% of the exact sample, for
// a fixed 10 KiB however many exits a run has. Values below 64 ns are kept exactly.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace glassvm {

class LatencyHistogram {
public:
    void record(uint64_t nanoseconds) {
        ++m_buckets[bucket_of(nanoseconds)];
        ++m_count;
    }
    uint64_t count() const { return m_count; }

    void merge(const LatencyHistogram& other) {
        for (size_t bucket = 0; bucket < kBuckets; ++bucket) m_buckets[bucket] += other.m_buckets[bucket];
        m_count += other.m_count;
    }

    // The value at `fraction` (0.5 for the median, 0.99 for p99), as the middle of its bucket;
    // 0 when empty.
    uint64_t percentile(double fraction) const {
        if (m_count == 0) return 0;
        // Nearest rank: the smallest value with at least `fraction` of the samples at or below it.
        auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(m_count))));
        uint64_t seen = 0;
        for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
            seen += m_buckets[bucket];
            if (seen >= rank) return middle_of(bucket);
        }
        return middle_of(kBuckets - 1);
    }

    static size_t bucket_of(uint64_t value) {
        if (value < kExact) return static_cast<size_t>(value);
        int exponent = 63 - std::countl_zero(value);                        // floor(log2(value)) >= 6
        uint64_t mantissa = (value >> (exponent - kSubBits)) & (kSub - 1);  // the 5 bits after the top one
        size_t bucket = kExact + static_cast<size_t>(exponent - 6) * kSub + static_cast<size_t>(mantissa);
        return bucket < kBuckets ? bucket : kBuckets - 1;
    }
    static uint64_t middle_of(size_t bucket) {
        if (bucket < kExact) return bucket;
        int exponent = static_cast<int>((bucket - kExact) / kSub) + 6;
        uint64_t mantissa = (bucket - kExact) % kSub;
        uint64_t low = (kSub + mantissa) << (exponent - kSubBits);
        uint64_t width = uint64_t{1} << (exponent - kSubBits);
        return low + width / 2;
    }

private:
    static constexpr int kSubBits = 5;
    static constexpr uint64_t kSub = 1u << kSubBits;
    static constexpr size_t kExact = 64;
    static constexpr size_t kBuckets = kExact + (64 - 6) * kSub;

    std::array<uint64_t, kBuckets> m_buckets{};
    uint64_t m_count = 0;
};

}  // namespace glassvm
