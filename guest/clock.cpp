// Time: the timer tick count and CLOCK_MONOTONIC, read from the TSC since reset when its rate is
// known (BootInfo.tsc_khz, CPUID, or measured against the PIT: lapic.cpp), else from the ticks.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

uint64_t tsc_khz;        // 0 = unknown
volatile uint64_t ticks; // timer interrupts since the timer started

}  // namespace

void clock_init(uint64_t khz) { tsc_khz = khz; }

void clock_tick() { ticks = ticks + 1; }

uint64_t clock_ticks() { return ticks; }

bool clock_has_tsc() { return tsc_khz != 0; }

// Whole seconds first, so the one multiplication, remainder × 10^6 < tsc_khz × 10^9, stays far
// inside 64 bits (up to an 18 THz TSC): no 128-bit division, no floating point.
uint64_t clock_now_ns() {
    if (tsc_khz == 0) return ticks * (1'000'000'000 / kTickHz);
    uint64_t tsc = x86::read_tsc();
    uint64_t per_second = tsc_khz * 1000;
    return tsc / per_second * 1'000'000'000 + tsc % per_second * 1'000'000 / tsc_khz;
}

}  // namespace glassvm::guest
