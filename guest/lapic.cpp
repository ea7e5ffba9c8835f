// The local APIC (Intel SDM Vol. 3A, chapter 11 "Advanced Programmable Interrupt Controller"):
// each CPU's own interrupt controller. Every CPU enables its own and acknowledges interrupts with
// an end-of-interrupt write; the timer is calibrated once and then started on each CPU as its
// scheduler tick; the interrupt command register sends IPIs (INIT, SIPI, wake-ups) to other CPUs.
// Reached through registers in memory at 0xfee00000 (xAPIC mode, §11.4.1), which page_tables.S
// maps uncached; every CPU sees its own APIC at that same address.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constexpr uint64_t kBase = 0xfee0'0000;  // the architectural default (IA32_APIC_BASE, §11.4.4)

// Register offsets (SDM Vol. 3A, Table 11-1 "Local APIC Register Address Map").
constexpr uint32_t kId = 0x020;  // bits 31:24: this CPU's APIC id (§11.4.6)
constexpr uint32_t kTaskPriority = 0x080;
constexpr uint32_t kEndOfInterrupt = 0x0b0;
constexpr uint32_t kSpuriousVectorRegister = 0x0f0;
constexpr uint32_t kInterruptCommandLow = 0x300;   // ICR[31:0]: writing it sends the IPI
constexpr uint32_t kInterruptCommandHigh = 0x310;  // ICR[63:56]: the destination APIC id
constexpr uint32_t kLvtTimer = 0x320;
constexpr uint32_t kLvtLint0 = 0x350;
constexpr uint32_t kInitialCount = 0x380;
constexpr uint32_t kCurrentCount = 0x390;
constexpr uint32_t kDivideConfiguration = 0x3e0;

constexpr uint32_t kSoftwareEnable = 1u << 8;  // SVR bit 8 (§11.4.7.2)
constexpr uint32_t kMasked = 1u << 16;         // LVT entries (§11.5.1, Figure 11-8)
constexpr uint32_t kPeriodic = 1u << 17;       // LVT timer mode bits 18:17 = 01
constexpr uint32_t kDivideBy16 = 0x3;          // §11.5.4, Figure 11-10

// ICR fields (§11.6.1, Figure 11-12): delivery status, level, destination shorthand.
constexpr uint32_t kSendPending = 1u << 12;
constexpr uint32_t kLevelAssert = 1u << 14;  // 1 for everything but an INIT level de-assert
constexpr uint32_t kAllExcludingSelf = 0b11u << 18;

// Calibration windows, when no timing leaf states the APIC bus rate: the TSC is exact, so 1 ms is plenty; the PIT path (QEMU without a TSC
// rate) waits 10 ms, as Linux's quick PIT calibration does.
constexpr uint32_t kTscWindowMs = 1;
constexpr uint32_t kPitWindowMs = 10;
// With neither: KVM's and QEMU's APIC timers count at 1 GHz before the divider.
constexpr uint64_t kAssumedCountsPerMs = 1'000'000'000 / 16 / 1000;

// The timer's initial count for one tick, measured once on the boot CPU. Every CPU's APIC timer
// counts the same bus clock, so the APs reuse it rather than calibrate again.
uint32_t tick_count;

uint32_t read(uint32_t offset) { return x86::read_mmio32(kBase + offset); }
void write(uint32_t offset, uint32_t value) { x86::write_mmio32(kBase + offset, value); }

// The APIC bus (timer) frequency a hypervisor states in its timing leaf 0x40000010, EBX in kHz
// (VMware's convention; KVM, QEMU and glassvm fill it), when there is such a leaf; else 0. Reading
// it spares the boot a calibration window, which on our nested hosts is emulated ring-0 spinning.
uint32_t apic_bus_khz() {
    constexpr uint32_t kHypervisorPresent = 1u << 31;
    if (!(x86::cpuid(1).ecx & kHypervisorPresent)) return 0;
    if (x86::cpuid(0x4000'0000).eax < 0x4000'0010) return 0;
    return x86::cpuid(0x4000'0010).ebx;
}

// APIC timer counts (after the divider) in one millisecond, counting down from all ones while
// something else measures the time; also measures the TSC when its rate is unknown.
uint64_t calibrate(uint64_t& tsc_khz) {
    if (uint32_t bus_khz = apic_bus_khz()) return bus_khz / 16;  // told: nothing to measure
    write(kDivideConfiguration, kDivideBy16);
    write(kLvtTimer, kMasked);
    write(kInitialCount, 0xffff'ffff);
    uint64_t tsc_start = x86::read_tsc();
    if (tsc_khz != 0) {
        while (x86::read_tsc() - tsc_start < tsc_khz * kTscWindowMs) {}
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

// §11.4.3: software-enable the APIC through the spurious-interrupt vector register (without it
// the APIC accepts no fixed interrupts, IPIs included, §11.4.7.2). LINT0, where a PC wires the
// 8259's output (ExtINT), is masked: all interrupts come through the I/O APIC (ioapic.cpp) or
// from other CPUs. Each CPU runs this for its own APIC.
void lapic_init() {
    write(kTaskPriority, 0);
    write(kLvtLint0, kMasked);
    write(kSpuriousVectorRegister, kSoftwareEnable | kSpuriousVector);
}

// The APIC id from the APIC itself, as Linux reads it. (CPUID leaf 01H EBX[31:24] should say the
// same, but on our nested development host CPUID run by ring 0 reports the host CPU's: docs/SMP.md.)
uint32_t lapic_id() { return read(kId) >> 24; }

// §11.8.5: any write to EOI retires the interrupt in service (not for spurious interrupts).
void lapic_end_of_interrupt() { write(kEndOfInterrupt, 0); }

void lapic_timer_calibrate(uint32_t hz, uint64_t& tsc_khz) {
    uint64_t initial = calibrate(tsc_khz) * 1000 / hz;
    if (initial == 0 || initial > 0xffff'ffff) initial = kAssumedCountsPerMs * 1000 / hz;
    tick_count = uint32_t(initial);
}

void lapic_timer_start() {
    write(kDivideConfiguration, kDivideBy16);
    write(kLvtTimer, kTimerVector | kPeriodic);  // §11.5.4: periodic mode reloads the count
    write(kInitialCount, tick_count);
}

// A CPU that halts for good stops its timer first, as Linux's stop_this_cpu() disables its APIC:
// a tick it can never take would only wake the host thread behind it, again and again.
void lapic_timer_stop() { write(kLvtTimer, kMasked); }

// §11.6.1: the high half names the destination, writing the low half sends. Delivery is quick
// under a hypervisor; the bounded poll of the delivery status keeps real hardware's order.
void lapic_send_ipi(IpiTarget target, uint32_t apic_id, IpiKind kind, uint8_t vector) {
    uint32_t shorthand = target == IpiTarget::AllExcludingSelf ? kAllExcludingSelf : 0;
    write(kInterruptCommandHigh, apic_id << 24);
    write(kInterruptCommandLow, shorthand | kLevelAssert | (uint32_t(kind) << 8) | vector);
    for (int polls = 0; polls < 1000 && (read(kInterruptCommandLow) & kSendPending); ++polls) asm volatile("pause");
}

}  // namespace glassvm::guest
