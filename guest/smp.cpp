// Symmetric multiprocessing: the boot processor (BSP) starts the other CPUs, the application
// processors (APs), as a PC's operating system does (Intel SDM Vol. 3A §8.4, "Multiple-Processor
// (MP) Initialization"); every CPU sets up its own tables; init runs on the CPU the command line
// names while the others idle.
//
//   BSP: copy ap_trampoline.S below 1 MiB → INIT, SIPI, SIPI through its local APIC → wait
//        (TSC-timed, bounded) until the APs are online → print `cpus=N` and a line per CPU
//   AP:  real mode at the SIPI vector → 32-bit → 64-bit (ap_trampoline.S) → a ticket for its
//        index and stack → ap_main: cpu_init (GDT, TSS, IDT, SYSCALL MSRs, local APIC) → online
//        → idle: `sti; hlt` until a wake-up IPI finds work in its mailbox
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

// --- The local APIC in xAPIC mode (SDM Vol. 3A ch. 10): just what starting CPUs needs. -------
// (The timer's registers live in the interrupt code; the two will share one helper later.)
constexpr uint64_t kLocalApicBase = 0xFEE0'0000;  // IA32_APIC_BASE's power-on value (§10.4.4)
enum LocalApicRegister : uint32_t {
    kIdRegister = 0x020,              // bits 31:24: this CPU's APIC id (§10.4.6)
    kSpuriousVectorRegister = 0x0F0,  // SVR (§10.9): bit 8 software-enables the APIC
    kInterruptCommandLow = 0x300,     // ICR (§10.6.1): writing the low half sends the IPI
    kInterruptCommandHigh = 0x310,    // ICR[63:56]: the destination APIC id
};

volatile uint32_t& local_apic(LocalApicRegister reg) {
    return *reinterpret_cast<volatile uint32_t*>(kLocalApicBase + reg);
}

// ICR fields (SDM Vol. 3A §10.6.1, "Interrupt Command Register").
constexpr uint32_t kDeliveryFixed = 0b000 << 8;
constexpr uint32_t kDeliveryInit = 0b101 << 8;
constexpr uint32_t kDeliveryStartup = 0b110 << 8;  // vector = the start page number, VV → VV000
constexpr uint32_t kSendPending = 1u << 12;        // delivery status
constexpr uint32_t kLevelAssert = 1u << 14;        // 1 for everything but an INIT de-assert
constexpr uint32_t kAllExcludingSelf = 0b11u << 18;  // destination shorthand
constexpr uint32_t kApicSoftwareEnable = 1u << 8;

// Vectors: Linux's choices. The wake-up IPI only ends an idle CPU's HLT (ap_trampoline.S).
constexpr uint8_t kWakeupVector = 0xFD;

// The APIC id from the local APIC itself, as Linux reads it. (CPUID leaf 01H EBX[31:24] should say
// the same, and the VMM sets it so, but on our nested development host CPUID run by ring 0 reports
// the host CPU's id instead: docs/SMP.md.)
uint32_t local_apic_id() { return local_apic(kIdRegister) >> 24; }

void pause() { asm volatile("pause"); }

void send_ipi(uint32_t apic_id, uint32_t command) {
    local_apic(kInterruptCommandHigh) = apic_id << 24;
    local_apic(kInterruptCommandLow) = command;
    for (int polls = 0; polls < 1000 && (local_apic(kInterruptCommandLow) & kSendPending); ++polls) pause();
}

// --- Every CPU's own state, and what the CPUs share. ------------------------------------------
constinit PerCpu cpus[abi::kMaxCpus] = {};
constinit uint8_t cpu_of_apic_id[256] = {};  // xAPIC ids are 8 bits
uint32_t cpus_online;                          // atomic: APs add themselves
uint64_t tsc_khz;
// The CPU that should run init next (an AP polls it when woken), or nobody.
constexpr uint32_t kNobody = ~0u;
constinit uint32_t init_mailbox = kNobody;

uint32_t online_count() { return __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE); }

uint64_t stack_top(unsigned index) {
    if (index == 0) return reinterpret_cast<uint64_t>(kernel_stack_top);  // entry64.S
    return reinterpret_cast<uint64_t>(ap_kernel_stacks + index * kApStackSize);
}

uint64_t fault_stack_top_of(unsigned index) {
    if (index == 0) return reinterpret_cast<uint64_t>(fault_stack_top);
    return reinterpret_cast<uint64_t>(ap_fault_stacks + index * kApFaultStackSize);
}

void mark_online(unsigned index) {
    __atomic_store_n(&cpus[index].online, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&cpus_online, 1, __ATOMIC_RELEASE);
}

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

// --- Per-CPU set-up, on each CPU for itself. --------------------------------------------------
void cpu_init(unsigned index) {
    PerCpu& cpu = cpus[index];
    cpu.index = index;
    cpu.kernel_stack_top = stack_top(index);
    gdt_init(index, cpu.kernel_stack_top, fault_stack_top_of(index));
    if (index == 0) {
        // The IDT is shared: the boot processor adds the interrupt gates once for everyone.
        idt_set_interrupt_gate(kWakeupVector, wakeup_interrupt_entry);
    } else {
        idt_load();
    }
    syscall_init_cpu(cpu);
    local_apic(kSpuriousVectorRegister) = kApicSoftwareEnable | kSpuriousVector;
    cpu.apic_id = local_apic_id();
    cpu_of_apic_id[cpu.apic_id & 0xff] = uint8_t(index);
}

unsigned smp_current_cpu() { return cpu_of_apic_id[local_apic_id() & 0xff]; }

PerCpu& this_cpu() { return cpus[smp_current_cpu()]; }

namespace {

// Idle until the mailbox names this CPU, then run init here. `sti; hlt` is atomic against
// interrupts: STI takes effect after the next instruction (SDM Vol. 2B, STI), so a wake-up IPI
// sent after the check is taken by the HLT rather than slipping in before it.
[[noreturn]] void idle(uint32_t index) {
    for (;;) {
        asm volatile("cli" ::: "memory");
        if (__atomic_load_n(&init_mailbox, __ATOMIC_ACQUIRE) == index) {
            __atomic_store_n(&init_mailbox, kNobody, __ATOMIC_RELAXED);
            start_init_and_schedule();
        }
        asm volatile("sti; hlt" ::: "memory");
    }
}

}  // namespace

// ap_trampoline.S, on the AP's own stack, in 64-bit mode with the trampoline's GDT.
extern "C" [[noreturn]] void ap_main(uint32_t index) {
    cpu_init(index);
    // >>> Here each AP will start its own local APIC timer (the interrupts-and-timer work of
    // >>> issue 5): program its LVT timer and initial count, then idle with interrupts on.
    mark_online(index);
    idle(index);
}

// --- The boot processor starts the others. -----------------------------------------------------
namespace {

enum class StartMode { Broadcast, OneByOne };
struct StartPlan {
    StartMode mode;
    uint64_t init_delay_us;   // after INIT
    uint64_t sipi_delay_us;   // between the two SIPIs
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
    bool spec_delays = word_is(delays, "spec") ||
                       (!word_is(delays, "none") && !(x86::cpuid(1).ecx & kHypervisorPresent));
    StartMode mode = word_is(cmdline_value("smpboot"), "serial") ? StartMode::OneByOne : StartMode::Broadcast;
    return {mode, spec_delays ? 10'000u : 0u, spec_delays ? 200u : 0u};
}

// INIT, (wait), SIPI, (wait), SIPI: SDM Vol. 3A §8.4.4.1, "Typical BSP Initialization Sequence".
// The second SIPI is ignored by an AP the first one started.
void send_init_sipi_sipi(uint32_t apic_id, uint32_t shorthand, const StartPlan& plan) {
    send_ipi(apic_id, shorthand | kLevelAssert | kDeliveryInit);
    delay(plan.init_delay_us);
    uint32_t startup = shorthand | kLevelAssert | kDeliveryStartup | uint32_t(abi::kApTrampolineAddress >> 12);
    send_ipi(apic_id, startup);
    delay(plan.sipi_delay_us);
    send_ipi(apic_id, startup);
}

void start_application_processors(uint32_t wanted, const StartPlan& plan) {
    memcpy(reinterpret_cast<void*>(abi::kApTrampolineAddress), ap_trampoline_start,
           size_t(ap_trampoline_end - ap_trampoline_start));
    if (plan.mode == StartMode::Broadcast) {
        send_init_sipi_sipi(0, kAllExcludingSelf, plan);
        wait_until([&] { return online_count() >= wanted; }, kArrivalTimeoutUs);
        return;
    }
    for (uint32_t apic_id = 0; apic_id < wanted; ++apic_id) {
        if (apic_id == cpus[0].apic_id) continue;
        uint32_t before = online_count();
        send_init_sipi_sipi(apic_id, 0, plan);
        wait_until([&] { return online_count() > before; }, kArrivalTimeoutUs);
    }
}

// A line of the report, built in memory: each print is a serial exit or more.
struct Text {
    char data[80 * (abi::kMaxCpus + 3)];
    size_t length = 0;
    Text& operator<<(const char* text) {
        for (; *text != '\0' && length < sizeof data; ++text) data[length++] = *text;
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
    uint32_t online = online_count();
    if (wanted > 1) {
        text << "smp: " << uint64_t(online - 1) << " of " << uint64_t(wanted - 1) << " APs online";
        if (tsc_khz != 0) text << " in " << (x86::read_tsc() - start_ticks) * 1000 / tsc_khz << " us";
        text << (plan.mode == StartMode::Broadcast ? " (broadcast" : " (one by one")
             << (plan.init_delay_us != 0 ? " INIT-SIPI-SIPI, SDM delays)\n" : " INIT-SIPI-SIPI, no delays)\n");
    }
    text << "cpus=" << uint64_t(online) << "\n";
    for (uint32_t index = 0; index < abi::kMaxCpus; ++index) {
        if (__atomic_load_n(&cpus[index].online, __ATOMIC_ACQUIRE) == 0) continue;
        text << "cpu " << uint64_t(index) << ": apic id " << uint64_t(cpus[index].apic_id) << " online\n";
    }
    print(text.data, text.length);
}

// `initcpu=K`: a decimal CPU index that is online, else 0 (said on the console).
uint32_t chosen_init_cpu() {
    Word word = cmdline_value("initcpu");
    if (word.length == 0) return 0;
    uint64_t index = 0;
    bool valid = word.length <= 3;
    for (size_t i = 0; valid && i < word.length; ++i) {
        valid = word.text[i] >= '0' && word.text[i] <= '9';
        index = index * 10 + uint64_t(word.text[i] - '0');
    }
    if (valid && index < abi::kMaxCpus && __atomic_load_n(&cpus[index].online, __ATOMIC_ACQUIRE) != 0)
        return uint32_t(index);
    print("glassvm-guest: initcpu=");
    print(word.text, word.length);
    print(": no such CPU is online; init runs on cpu 0\n");
    return 0;
}

}  // namespace

void smp_init(const abi::BootInfo& boot) {
    tsc_khz = boot.tsc_khz;
    mark_online(0);
    uint32_t wanted = boot.cpu_count < abi::kMaxCpus ? boot.cpu_count : abi::kMaxCpus;
    StartPlan plan{StartMode::Broadcast, 0, 0};
    uint64_t start_ticks = x86::read_tsc();
    if (wanted > 1) {
        plan = start_plan();
        start_application_processors(wanted, plan);
    }
    report(wanted, plan, start_ticks);
}

// Init on CPU K: the boot processor leaves K's index in the mailbox and wakes K with a fixed
// IPI to its APIC id, then idles itself.
[[noreturn]] void smp_run_init() {
    uint32_t target = chosen_init_cpu();
    if (target == 0) start_init_and_schedule();
    __atomic_store_n(&init_mailbox, target, __ATOMIC_RELEASE);
    send_ipi(cpus[target].apic_id, kLevelAssert | kDeliveryFixed | kWakeupVector);
    idle(0);
}

}  // namespace glassvm::guest
