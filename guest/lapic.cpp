// The local APIC (Intel SDM Vol. 3A, chapter 11 "Advanced Programmable Interrupt Controller"):
// each CPU's own interrupt controller. The kernel enables it, acknowledges interrupts with an
// end-of-interrupt write, and uses its timer as the scheduler's tick. Reached through its
// registers in memory at 0xfee00000 (xAPIC mode, §11.4.1), which page_tables.S maps uncached.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constexpr uint64_t kBase = 0xfee0'0000;  // the architectural default (IA32_APIC_BASE, §11.4.4)

// Register offsets (SDM Vol. 3A, Table 11-1 "Local APIC Register Address Map").
constexpr uint32_t kId = 0x020;
constexpr uint32_t kTaskPriority = 0x080;
constexpr uint32_t kEndOfInterrupt = 0x0b0;
constexpr uint32_t kSpuriousVectorRegister = 0x0f0;
constexpr uint32_t kLvtTimer = 0x320;
constexpr uint32_t kLvtLint0 = 0x350;
constexpr uint32_t kInitialCount = 0x380;
constexpr uint32_t kCurrentCount = 0x390;
constexpr uint32_t kDivideConfiguration = 0x3e0;

constexpr uint32_t kSoftwareEnable = 1u << 8;  // SVR bit 8 (§11.4.7.2)
constexpr uint32_t kMasked = 1u << 16;         // LVT entries (§11.5.1, Figure 11-8)
constexpr uint32_t kPeriodic = 1u << 17;       // LVT timer mode bits 18:17 = 01
constexpr uint32_t kDivideBy16 = 0x3;          // §11.5.4, Figure 11-10

// Calibration windows: the TSC is exact, so 1 ms is plenty; the PIT path (QEMU without a TSC
// rate) waits 10 ms, as Linux's quick PIT calibration does.
constexpr uint32_t kTscWindowMs = 1;
constexpr uint32_t kPitWindowMs = 10;
// With neither: KVM's and QEMU's APIC timers count at 1 GHz before the divider.
constexpr uint64_t kAssumedCountsPerMs = 1'000'000'000 / 16 / 1000;

uint32_t read(uint32_t offset) { return x86::read_mmio32(kBase + offset); }
void write(uint32_t offset, uint32_t value) { x86::write_mmio32(kBase + offset, value); }

// APIC timer counts (after the divider) in one millisecond, counting down from all ones while
// something else measures the time; also measures the TSC when its rate is unknown.
uint64_t calibrate(uint64_t& tsc_khz) {
    write(kDivideConfiguration, kDivideBy16);
    write(kLvtTimer, kMasked);
    write(kInitialCount, 0xffff'ffff);
    uint64_t tsc_start = x86::read_tsc();
    if (tsc_khz != 0) {
        while (x86::read_tsc() - tsc_start < tsc_khz * kTscWindowMs) {
        }
        return (0xffff'ffffull - read(kCurrentCount)) / kTscWindowMs;
    }
    if (pit_wait(kPitWindowMs)) {
        uint64_t counts = 0xffff'ffffull - read(kCurrentCount);
        tsc_khz = (x86::read_tsc() - tsc_start) / kPitWindowMs;
        return counts / kPitWindowMs;
    }
    print("glassvm-guest: no TSC rate and no PIT: the timer assumes a 1 GHz APIC clock\n");
    return kAssumedCountsPerMs;
}

}  // namespace

// §11.4.3: software-enable the APIC through the spurious-interrupt vector register. LINT0,
// where a PC wires the 8259's output (ExtINT), is masked: all interrupts come through the
// I/O APIC (ioapic.cpp).
void lapic_init() {
    write(kTaskPriority, 0);
    write(kLvtLint0, kMasked);
    write(kSpuriousVectorRegister, kSoftwareEnable | kSpuriousVector);
}

uint32_t lapic_id() { return read(kId) >> 24; }

// §11.8.5: any write to EOI retires the interrupt in service (not for spurious interrupts).
void lapic_end_of_interrupt() { write(kEndOfInterrupt, 0); }

void lapic_timer_start(uint32_t hz, uint64_t& tsc_khz) {
    uint64_t counts_per_ms = calibrate(tsc_khz);
    uint64_t initial = counts_per_ms * 1000 / hz;
    if (initial == 0 || initial > 0xffff'ffff) initial = kAssumedCountsPerMs * 1000 / hz;
    write(kLvtTimer, kTimerVector | kPeriodic);  // §11.5.4: periodic mode reloads the count
    write(kInitialCount, uint32_t(initial));
}

}  // namespace glassvm::guest
