// Symmetric multiprocessing: the boot processor (BSP) starts the other CPUs, the application
// processors (APs), as a PC's operating system does (Intel SDM Vol. 3A §8.4, "Multiple-Processor
// (MP) Initialization"), and reports them; each AP then sets itself up and joins the scheduler.
//
//   BSP: copy ap_trampoline.S below 1 MiB → INIT, SIPI, SIPI through its local APIC → wait
//        (TSC-timed, bounded) until the APs are online → print `cpus=N` and a line per CPU
//   AP:  real mode at the SIPI vector → 32-bit → 64-bit (ap_trampoline.S) → a ticket for its
//        index and stack → ap_main: cpu_init (GDT, TSS, IDT, SYSCALL MSRs, local APIC), its own
//        APIC timer → online → its scheduler loop (scheduler.cpp), idle until it has a task
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

uint64_t tsc_khz;  // for the TSC-timed waits; 0 = unknown

void pause() { asm volatile("pause"); }

// Spins until done() or `microseconds` pass, timed by the TSC. Without a TSC frequency (PVH
// with plain `-cpu host`) a bounded count of PAUSEs stands in: shorter on real hardware, but
// never endless.
template <typename Done>
bool wait_until(Done done, uint64_t microseconds) {
    if (tsc_khz == 0) {
        for (uint64_t i = 0; i < microseconds; ++i) {
            if (done()) return true;
            pause();
        }
        return done();
    }
    uint64_t deadline = x86::read_tsc() + microseconds * tsc_khz / 1000;
    while (!done()) {
        if (x86::read_tsc() >= deadline) return false;
        pause();
    }
    return true;
}

void delay(uint64_t microseconds) {
    if (microseconds != 0) wait_until([] { return false; }, microseconds);
}

}  // namespace

// ap_trampoline.S, on the AP's own stack, in 64-bit mode with the trampoline's GDT.
// Its own local APIC timer (the boot CPU calibrated it for everyone, lapic.cpp) drives its
// sleepers and time slices; then it waits in its scheduler loop for tasks pinned to it.
extern "C" [[noreturn]] void ap_main(uint32_t index) {
    cpu_init(index);
    lapic_timer_start();
    cpu_mark_online(index);
    if (cmdline_has("haltall")) cpu_halt_for_good();
    scheduler_run();
}

// --- The boot processor starts the others. -----------------------------------------------------
namespace {

enum class StartMode {
    Broadcast,
    OneByOne
};
struct StartPlan {
    StartMode mode;
    uint64_t init_delay_us;  // after INIT
    uint64_t sipi_delay_us;  // between the two SIPIs
};
constexpr uint64_t kArrivalTimeoutUs = 1'000'000;

bool word_is(Word word, const char* text) {
    return word.length == string_length(text) && memcmp(word.text, text, word.length) == 0;
}

// SDM Vol. 3A §8.4.4.1 waits 10 ms after INIT and 200 µs between the SIPIs, for the hardware of
// its time. Linux skips the INIT wait on every CPU since the Pentium Pro, and a hypervisor acts on
// an IPI at once, so the waits are used only on hardware without a hypervisor (CPUID.1:ECX[31]),
// or with `smpdelay=spec`; `smpdelay=none` drops them. `smpboot=serial` starts the APs one at a
// time by APIC id (the VMM's are 0..N-1) instead of with one broadcast.
StartPlan start_plan() {
    constexpr uint32_t kHypervisorPresent = 1u << 31;
    Word delays = cmdline_value("smpdelay");
    bool spec_delays =
        word_is(delays, "spec") || (!word_is(delays, "none") && !(x86::cpuid(1).ecx & kHypervisorPresent));
    StartMode mode = word_is(cmdline_value("smpboot"), "serial") ? StartMode::OneByOne : StartMode::Broadcast;
    return {mode, spec_delays ? 10'000u : 0u, spec_delays ? 200u : 0u};
}

// INIT, (wait), SIPI, (wait), SIPI: SDM Vol. 3A §8.4.4.1, "Typical BSP Initialization Sequence".
// The second SIPI is ignored by an AP the first one started.
// The SIPI's vector is the start page's number: VV starts the AP at VV000.
void send_init_sipi_sipi(IpiTarget target, uint32_t apic_id, const StartPlan& plan) {
    constexpr uint8_t kStartPage = uint8_t(abi::kApTrampolineAddress >> 12);
    lapic_send_ipi(target, apic_id, IpiKind::Init, 0);
    delay(plan.init_delay_us);
    lapic_send_ipi(target, apic_id, IpiKind::Startup, kStartPage);
    delay(plan.sipi_delay_us);
    lapic_send_ipi(target, apic_id, IpiKind::Startup, kStartPage);
}

void start_application_processors(uint32_t wanted, const StartPlan& plan) {
    memcpy(reinterpret_cast<void*>(abi::kApTrampolineAddress), ap_trampoline_start,
           size_t(ap_trampoline_end - ap_trampoline_start));
    if (plan.mode == StartMode::Broadcast) {
        send_init_sipi_sipi(IpiTarget::AllExcludingSelf, 0, plan);
        wait_until([&] { return cpus_online() >= wanted; }, kArrivalTimeoutUs);
        return;
    }
    for (uint32_t apic_id = 0; apic_id < wanted; ++apic_id) {
        if (apic_id == cpu_record(0).apic_id) continue;
        uint32_t before = cpus_online();
        send_init_sipi_sipi(IpiTarget::One, apic_id, plan);
        wait_until([&] { return cpus_online() > before; }, kArrivalTimeoutUs);
    }
}

// A line of the report, built in memory: each print is a serial exit or more.
struct Text {
    char data[80 * (abi::kMaxCpus + 3)];
    size_t length = 0;
    // Copies go through memcpy (`rep movs`): one emulated instruction rather than a loop of
    // several per character (guest/README.md, "Why it looks the way it does").
    template <size_t N>
    Text& operator<<(const char (&literal)[N]) {
        return append(literal, N - 1);
    }
    Text& operator<<(const char* text) { return append(text, string_length(text)); }
    Text& append(const char* text, size_t count) {
        if (count > sizeof data - length) count = sizeof data - length;
        memcpy(data + length, text, count);
        length += count;
        return *this;
    }
    Text& operator<<(uint64_t value) {
        char digits[20];
        size_t count = 0;
        do {
            digits[count++] = char('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (count > 0 && length < sizeof data) data[length++] = digits[--count];
        return *this;
    }
};

void report(uint32_t wanted, const StartPlan& plan, uint64_t start_ticks) {
    Text text;
    uint32_t online = cpus_online();
    if (wanted > 1) {
        text << "smp: " << uint64_t(online - 1) << " of " << uint64_t(wanted - 1) << " APs online";
        if (tsc_khz != 0) text << " in " << (x86::read_tsc() - start_ticks) * 1000 / tsc_khz << " us";
        text << (plan.mode == StartMode::Broadcast ? " (broadcast" : " (one by one")
             << (plan.init_delay_us != 0 ? " INIT-SIPI-SIPI, SDM delays)\n" : " INIT-SIPI-SIPI, no delays)\n");
    }
    text << "cpus=" << uint64_t(online) << "\n";
    for (uint32_t index = 0; index < wanted; ++index) {  // indices are tickets below wanted (ap_trampoline.S)
        if (!cpu_is_online(index)) continue;
        text << "cpu " << uint64_t(index) << ": apic id " << uint64_t(cpu_record(index).apic_id) << " online\n";
    }
    print(text.data, text.length);
}

}  // namespace

// `initcpu=K`: a decimal CPU index that is online, else 0 (said on the console).
unsigned smp_init_cpu() {
    Word word = cmdline_value("initcpu");
    if (word.length == 0) return 0;
    uint64_t index = 0;
    bool valid = word.length <= 3;
    for (size_t i = 0; valid && i < word.length; ++i) {
        valid = word.text[i] >= '0' && word.text[i] <= '9';
        index = index * 10 + uint64_t(word.text[i] - '0');
    }
    if (valid && cpu_is_online(unsigned(index))) return uint32_t(index);
    print("glassvm-guest: initcpu=");
    print(word.text, word.length);
    print(": no such CPU is online; init runs on cpu 0\n");
    return 0;
}

// After interrupts_init: the APs start their timers with the boot CPU's calibration, and the
// waits use the TSC rate it may have measured.
void smp_init(const abi::BootInfo& boot) {
    tsc_khz = clock_tsc_khz();
    cpu_mark_online(0);
    uint32_t wanted = boot.cpu_count < abi::kMaxCpus ? boot.cpu_count : abi::kMaxCpus;
    StartPlan plan{StartMode::Broadcast, 0, 0};
    uint64_t start_ticks = x86::read_tsc();
    if (wanted > 1) {
        plan = start_plan();
        start_application_processors(wanted, plan);
    }
    report(wanted, plan, start_ticks);
}

}  // namespace glassvm::guest
