// Time: the timer tick count and CLOCK_MONOTONIC, the time since the clock started at boot, read
// from the TSC when its rate is known (BootInfo.tsc_khz, CPUID, or measured against the PIT:
// lapic.cpp), else counted in ticks. (The TSC itself need not start at 0 with the VM: under
// nested KVM it counts from the host's boot.)
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

uint64_t tsc_khz;         // 0 = unknown
uint64_t tsc_start;       // the TSC when the clock started
volatile uint64_t ticks;  // the boot CPU's timer interrupts since its timer started

}  // namespace

void clock_init(uint64_t khz) {
    tsc_khz = khz;
    tsc_start = x86::read_tsc();
}

void clock_tick() { ticks = ticks + 1; }

uint64_t clock_ticks() { return ticks; }

bool clock_has_tsc() { return tsc_khz != 0; }

uint64_t clock_tsc_khz() { return tsc_khz; }

// Whole seconds first, so the one multiplication, remainder × 10^6 < tsc_khz × 10^9, stays far
// inside 64 bits (up to an 18 THz TSC): no 128-bit division, no floating point.
uint64_t clock_now_ns() {
    if (tsc_khz == 0) return ticks * (1'000'000'000 / kTickHz);
    uint64_t tsc = x86::read_tsc() - tsc_start;
    uint64_t per_second = tsc_khz * 1000;
    return tsc / per_second * 1'000'000'000 + tsc % per_second * 1'000'000 / tsc_khz;
}

}  // namespace glassvm::guest
