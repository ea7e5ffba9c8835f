// A TimeSource for the soft chips' unit tests: time stands still until the test moves it.
#pragma once

#include <cstdint>

#include "vmm/soft/time_source.hpp"

struct FakeTimeSource final : glassvm::soft::TimeSource {
    uint64_t ns = 0;
    uint64_t tsc_value = 0;
    uint64_t khz = 1'000'000;  // a 1 GHz TSC
    uint64_t now_ns() const override { return ns; }
    uint64_t tsc() const override { return tsc_value; }
    uint64_t tsc_khz() const override { return khz; }
};
