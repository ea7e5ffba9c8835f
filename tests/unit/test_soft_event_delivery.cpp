// Unit tests for the soft CPU's event delivery (vmm/soft/event_delivery.hpp): a guest's page
// tables, GDT, IDT and TSS written by hand into guest RAM, then interrupts and exceptions
// delivered through them, checked against SDM vol. 3A ch. 6 — the landing (§6.14: 64-bit gates,
// RSP0 and IST, 16-byte alignment), the frame in memory, every fault delivery itself raises with
// its error code (§6.13), the double/triple-fault table (§6.15, table 6-5), SYSCALL's landing
// (SDM vol. 2B) and real mode's interrupt vector table (§20.1.4).
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <variant>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/soft/event_delivery.hpp"

using glassvm::GuestMemory;
using glassvm::soft::deliver_event;
using glassvm::soft::DeliveryResult;
using glassvm::soft::escalate;
using glassvm::soft::Event;
using glassvm::soft::Fault;
using glassvm::soft::has_error_code;
using glassvm::soft::InterruptedState;
using glassvm::soft::Landing;
using glassvm::soft::syscall_landing;
using glassvm::soft::Unsupported;

namespace {

constexpr uint64_t kTf = 1ull << 8, kIf = 1ull << 9, kNt = 1ull << 14, kRf = 1ull << 16, kAc = 1ull << 18;

// Guest-physical (and, identity-mapped, linear) layout of the hand-made machine.
constexpr uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000;
constexpr uint64_t kGdt = 0x5000, kIdt = 0x6000, kTss = 0x7000;
constexpr uint64_t kRsp0 = 0x9'0008;  // deliberately not 16-byte aligned
constexpr uint64_t kIst1 = 0xa'0000, kIst2 = 0xa'1238;

// GDT selectors (descriptor values as Linux writes them, SDM vol. 3A §3.4.5).
constexpr uint16_t kKernelCode64 = 0x08, kKernelData = 0x10, kUserCode32 = 0x18, kUserData = 0x20, kUserCode64 = 0x28,
                   kKernelCode32 = 0x30, kAbsentCode64 = 0x38, kConformingCode64 = 0x40;
constexpr uint32_t kGdtLimit = 9 * 8 - 1;

constexpr uint8_t kInterruptGate = 0xE, kTrapGate = 0xF;

struct Gate {
    uint64_t offset = 0;
    uint16_t selector = kKernelCode64;
    uint8_t ist = 0;
    uint8_t type = kInterruptGate;
    int dpl = 0;
    bool present = true;
};

// A 16-byte IDT gate (§6.14.1, figure 6-8).
void put_gate64(const GuestMemory& memory, uint64_t idt, uint8_t vector, const Gate& gate) {
    uint32_t words[4] = {
        uint32_t(gate.offset & 0xffff) | (uint32_t(gate.selector) << 16),
        uint32_t(gate.offset & 0xffff'0000) | (gate.present ? 1u << 15 : 0) | (uint32_t(gate.dpl) << 13) |
            (uint32_t(gate.type) << 8) | gate.ist,
        uint32_t(gate.offset >> 32),
        0,
    };
    for (int i = 0; i < 4; ++i) memory.write_object<uint32_t>(idt + vector * 16 + i * 4, words[i]);
}

// An 8-byte protected-mode gate (§6.11, figure 6-2).
void put_gate32(const GuestMemory& memory, uint64_t idt, uint8_t vector, const Gate& gate) {
    memory.write_object<uint32_t>(idt + vector * 8, uint32_t(gate.offset & 0xffff) | (uint32_t(gate.selector) << 16));
    memory.write_object<uint32_t>(idt + vector * 8 + 4, uint32_t(gate.offset & 0xffff'0000) |
                                                            (gate.present ? 1u << 15 : 0) | (uint32_t(gate.dpl) << 13) |
                                                            (uint32_t(gate.type) << 8));
}

// A machine in long mode: 0-2 MiB identity-mapped for the supervisor only (tables, GDT, IDT,
// TSS, kernel stacks), 2-4 MiB for the user too, 4-6 MiB absent, 6-8 MiB read-only.
struct LongModeMachine {
    GuestMemory memory = GuestMemory::allocate(8 << 20);
    InterruptedState state;

    LongModeMachine() {
        memory.write_object<uint64_t>(kPml4, kPdpt | 0x7);
        memory.write_object<uint64_t>(kPdpt, kPd | 0x7);
        memory.write_object<uint64_t>(kPd + 0 * 8, 0x00'0000 | 0x83);  // P | W | PS, supervisor
        memory.write_object<uint64_t>(kPd + 1 * 8, 0x20'0000 | 0x87);  // P | W | U | PS
        memory.write_object<uint64_t>(kPd + 3 * 8, 0x60'0000 | 0x81);  // P | PS, read-only

        const uint64_t gdt[9] = {0,
                                 0x00af'9b00'0000'ffff,   // kernel code, 64-bit
                                 0x00cf'9300'0000'ffff,   // kernel data
                                 0x00cf'fb00'0000'ffff,   // user code, 32-bit
                                 0x00cf'f300'0000'ffff,   // user data
                                 0x00af'fb00'0000'ffff,   // user code, 64-bit
                                 0x00cf'9b00'0000'ffff,   // kernel code, 32-bit
                                 0x00af'1b00'0000'ffff,   // kernel code, 64-bit, not present
                                 0x00af'9f00'0000'ffff};  // conforming code, 64-bit, DPL 0
        for (int i = 0; i < 9; ++i) memory.write_object<uint64_t>(kGdt + i * 8, gdt[i]);

        // 64-bit TSS (§7.7, figure 7-11): RSP0 at 4, IST1 at 0x24, IST2 at 0x2c.
        memory.write_object<uint64_t>(kTss + 0x04, kRsp0);
        memory.write_object<uint64_t>(kTss + 0x24, kIst1);
        memory.write_object<uint64_t>(kTss + 0x2c, kIst2);

        state.long_mode = true;
        state.protected_mode = true;
        state.paging = {.cr0 = 0x8001'0001, .cr3 = kPml4, .cr4 = 0x20, .efer = 0xd00};  // PG|WP|PE; PAE; LMA|LME|NXE
        state.gdt_base = kGdt;
        state.gdt_limit = kGdtLimit;
        state.idt_base = kIdt;
        state.idt_limit = 0xfff;
        state.tr_base = kTss;
        state.tr_limit = 0x67;
    }

    void at_user() {
        state.cpl = 3;
        state.cs = kUserCode64 | 3;
        state.ss = kUserData | 3;
        state.rip = 0x40'1000;
        state.rsp = 0x7fff'ffff'e008;
        state.rflags = 0x246 | kTf | kNt | kRf | kAc;
    }
    void at_kernel() {
        state.cpl = 0;
        state.cs = kKernelCode64;
        state.ss = kKernelData;
        state.rip = 0xffff'ffff'8100'5000;
        state.rsp = 0x8'f3c8;
        state.rflags = 0x202;
    }

    uint64_t quad(uint64_t address) const { return memory.read_object<uint64_t>(address); }
    DeliveryResult deliver(const Event& event) const { return deliver_event(memory, state, event); }
};

Landing landing_of(const DeliveryResult& result) {
    if (auto* fault = std::get_if<Fault>(&result)) FAIL("a fault: vector " << int(fault->vector));
    if (auto* unsupported = std::get_if<Unsupported>(&result)) FAIL("unsupported: " << unsupported->what);
    return std::get<Landing>(result);
}

Fault fault_of(const DeliveryResult& result) {
    REQUIRE(std::holds_alternative<Fault>(result));
    return std::get<Fault>(result);
}

Event exception(uint8_t vector, std::optional<uint32_t> error_code = std::nullopt) {
    return {.vector = vector, .error_code = error_code, .software = false, .external = false};
}
Event software_int(uint8_t vector) {
    return {.vector = vector, .error_code = std::nullopt, .software = true, .external = false};
}
Event external(uint8_t vector) {
    return {.vector = vector, .error_code = std::nullopt, .software = false, .external = true};
}

}  // namespace

TEST_CASE("soft delivery: a page fault at CPL 3 through an interrupt gate lands on TSS.RSP0 with six quadwords") {
    LongModeMachine machine;
    machine.at_user();
    put_gate64(machine.memory, kIdt, 14, {.offset = 0xffff'ffff'8100'1234, .selector = kKernelCode64 | 3});

    Landing landing = landing_of(machine.deliver(exception(14, 0x6)));
    CHECK(landing.rip == 0xffff'ffff'8100'1234);
    CHECK(landing.cs == kKernelCode64);  // RPL = the new CPL, whatever the gate's selector said
    CHECK(landing.cpl == 0);
    CHECK(landing.loads_ss);
    CHECK(landing.ss == 0);  // a null SS (§6.14.4)
    CHECK_FALSE(landing.flat);
    // RSP0 0x90008 aligned down to 0x90000, six quadwords below it (§6.14.2).
    CHECK(landing.rsp == 0x9'0000 - 6 * 8);
    // IF cleared by the interrupt gate; TF, NT and RF cleared; AC kept.
    CHECK(landing.rflags == ((0x246 | kAc) & ~kIf));

    // The frame, lowest address first: error code, RIP, CS, RFLAGS, RSP, SS (figure 6-9).
    CHECK(machine.quad(landing.rsp + 0) == 0x6);
    CHECK(machine.quad(landing.rsp + 8) == 0x40'1000);
    CHECK(machine.quad(landing.rsp + 16) == (kUserCode64 | 3));
    CHECK(machine.quad(landing.rsp + 24) == (0x246 | kTf | kNt | kRf | kAc));
    CHECK(machine.quad(landing.rsp + 32) == 0x7fff'ffff'e008);
    CHECK(machine.quad(landing.rsp + 40) == (kUserData | 3));
}

TEST_CASE("soft delivery: INT3 at CPL 3 through a DPL 3 trap gate keeps IF and pushes five quadwords") {
    LongModeMachine machine;
    machine.at_user();
    put_gate64(machine.memory, kIdt, 3, {.offset = 0xffff'ffff'8100'2000, .type = kTrapGate, .dpl = 3});

    Landing landing = landing_of(machine.deliver(software_int(3)));
    CHECK(landing.rip == 0xffff'ffff'8100'2000);
    CHECK(landing.rsp == 0x9'0000 - 5 * 8);
    CHECK(landing.rflags == (0x246 | kAc));  // IF stays set through a trap gate
    CHECK(machine.quad(landing.rsp + 0) == 0x40'1000);
    CHECK(machine.quad(landing.rsp + 8) == (kUserCode64 | 3));
    CHECK(machine.quad(landing.rsp + 32) == (kUserData | 3));
}

TEST_CASE("soft delivery: an IST gate switches stacks at CPL 0 and takes precedence over RSP0 from CPL 3") {
    LongModeMachine machine;
    put_gate64(machine.memory, kIdt, 2, {.offset = 0xffff'ffff'8100'3000, .ist = 2});

    machine.at_kernel();
    Landing landing = landing_of(machine.deliver(exception(2)));
    CHECK(landing.rsp == (kIst2 & ~0xfull) - 5 * 8);  // IST2 aligned to 16 bytes
    CHECK(landing.cpl == 0);
    CHECK(landing.cs == kKernelCode64);
    CHECK_FALSE(landing.loads_ss);
    CHECK(landing.ss == kKernelData);
    CHECK(machine.quad(landing.rsp + 0) == 0xffff'ffff'8100'5000);
    CHECK(machine.quad(landing.rsp + 8) == kKernelCode64);
    CHECK(machine.quad(landing.rsp + 16) == 0x202);
    CHECK(machine.quad(landing.rsp + 24) == 0x8'f3c8);
    CHECK(machine.quad(landing.rsp + 32) == kKernelData);

    machine.at_user();
    landing = landing_of(machine.deliver(exception(2)));
    CHECK(landing.rsp == (kIst2 & ~0xfull) - 5 * 8);
    CHECK(landing.loads_ss);
    CHECK(landing.ss == 0);

    put_gate64(machine.memory, kIdt, 18, {.offset = 0xffff'ffff'8100'4000, .ist = 1});
    landing = landing_of(machine.deliver(exception(18)));
    CHECK(landing.rsp == kIst1 - 5 * 8);
}

TEST_CASE("soft delivery: at the same privilege the stack stays, aligned to 16 bytes") {
    LongModeMachine machine;
    machine.at_kernel();
    put_gate64(machine.memory, kIdt, 13, {.offset = 0xffff'ffff'8100'6000});

    Landing landing = landing_of(machine.deliver(exception(13, 0x10)));
    CHECK(landing.rsp == 0x8'f3c0 - 6 * 8);
    CHECK(landing.ss == kKernelData);
    CHECK_FALSE(landing.loads_ss);
    CHECK(landing.rflags == 0x002);
    CHECK(machine.quad(landing.rsp + 0) == 0x10);
    CHECK(machine.quad(landing.rsp + 8) == 0xffff'ffff'8100'5000);
    CHECK(machine.quad(landing.rsp + 32) == 0x8'f3c8);  // the RSP before alignment
    CHECK(machine.quad(landing.rsp + 40) == kKernelData);

    // A conforming code segment runs the handler at the interrupted CPL 3, on the user stack.
    machine.at_user();
    machine.state.rsp = 0x20'8008;
    put_gate64(machine.memory, kIdt, 0x40, {.offset = 0x40'2000, .selector = kConformingCode64, .dpl = 3});
    landing = landing_of(machine.deliver(software_int(0x40)));
    CHECK(landing.cpl == 3);
    CHECK(landing.cs == (kConformingCode64 | 3));
    CHECK(landing.rsp == 0x20'8000 - 5 * 8);
    CHECK(landing.ss == (kUserData | 3));
    CHECK_FALSE(landing.loads_ss);
    CHECK(machine.quad(landing.rsp) == 0x40'1000);
}

TEST_CASE("soft delivery: software INT checks the gate's DPL, hardware interrupts do not") {
    LongModeMachine machine;
    machine.at_user();
    put_gate64(machine.memory, kIdt, 0x80, {.offset = 0xffff'ffff'8100'7000, .dpl = 0});

    Fault fault = fault_of(machine.deliver(software_int(0x80)));
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == 0x80u * 8 + 2);  // IDT bit, EXT = 0 (§6.13)
    CHECK_FALSE(fault.cr2);

    CHECK(landing_of(machine.deliver(external(0x80))).rip == 0xffff'ffff'8100'7000);
    put_gate64(machine.memory, kIdt, 0x80, {.offset = 0xffff'ffff'8100'7000, .dpl = 3});
    CHECK(landing_of(machine.deliver(software_int(0x80))).rip == 0xffff'ffff'8100'7000);
}

TEST_CASE("soft delivery: a not-present gate raises #NP with the IDT and EXT bits") {
    LongModeMachine machine;
    machine.at_kernel();
    put_gate64(machine.memory, kIdt, 0x30, {.offset = 0x1000, .present = false});

    Fault fault = fault_of(machine.deliver(external(0x30)));
    CHECK(fault.vector == 11);
    CHECK(fault.error_code == 0x30u * 8 + 2 + 1);
    fault = fault_of(machine.deliver(software_int(0x30)));
    CHECK(fault.vector == 11);
    CHECK(fault.error_code == 0x30u * 8 + 2);
    fault = fault_of(machine.deliver(exception(0x30)));  // an exception is external to the program too
    CHECK(fault.error_code == 0x30u * 8 + 2 + 1);

    // The DPL check comes first: INT 0x30 at CPL 3 through this DPL 0 gate is a #GP.
    machine.at_user();
    fault = fault_of(machine.deliver(software_int(0x30)));
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == 0x30u * 8 + 2);
}

TEST_CASE("soft delivery: a vector beyond the IDT limit or a gate of the wrong type raises #GP") {
    LongModeMachine machine;
    machine.at_kernel();
    put_gate64(machine.memory, kIdt, 0x1f, {.offset = 0x1000});
    put_gate64(machine.memory, kIdt, 0x20, {.offset = 0x1000});

    machine.state.idt_limit = 0x20 * 16 - 1;
    CHECK(landing_of(machine.deliver(external(0x1f))).rip == 0x1000);
    Fault fault = fault_of(machine.deliver(external(0x20)));
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == 0x20u * 8 + 2 + 1);
    machine.state.idt_limit = 0x20 * 16 + 14;  // the gate's last byte is outside
    CHECK(fault_of(machine.deliver(external(0x20))).error_code == 0x20u * 8 + 2 + 1);
    machine.state.idt_limit = 0x20 * 16 + 15;
    CHECK(landing_of(machine.deliver(external(0x20))).rip == 0x1000);

    machine.state.idt_limit = 0xfff;
    for (uint8_t type : {0x0, 0x5, 0xC, 0x6}) {
        put_gate64(machine.memory, kIdt, 0x21, {.offset = 0x1000, .type = type});
        fault = fault_of(machine.deliver(software_int(0x21)));
        CHECK(fault.vector == 13);
        CHECK(fault.error_code == 0x21u * 8 + 2);
    }
}

TEST_CASE("soft delivery: the gate's code segment is checked, faults naming its selector") {
    LongModeMachine machine;
    machine.at_kernel();
    auto through = [&](uint16_t selector, const Event& event) {
        put_gate64(machine.memory, kIdt, 0x22, {.offset = 0x1000, .selector = selector});
        return machine.deliver(event);
    };
    Event hardware = external(0x22);

    Fault fault = fault_of(through(0, hardware));  // null selector: #GP(EXT)
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == 1u);
    CHECK(fault_of(through(0, software_int(0x22))).error_code == 0u);

    fault = fault_of(through(0x48, hardware));  // beyond the GDT limit
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == 0x49u);
    fault = fault_of(through(kKernelData, hardware));  // not a code segment
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == (kKernelData | 1u));
    fault = fault_of(through(kKernelCode32, hardware));  // not a 64-bit code segment
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == (kKernelCode32 | 1u));
    fault = fault_of(through(kUserCode64, hardware));  // DPL 3 > CPL 0
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == (kUserCode64 | 1u));
    fault = fault_of(through(kAbsentCode64, hardware));  // not present: #NP
    CHECK(fault.vector == 11);
    CHECK(fault.error_code == (kAbsentCode64 | 1u));
    CHECK(std::holds_alternative<Unsupported>(through(0x0c, hardware)));  // an LDT selector
}

TEST_CASE("soft delivery: a TSS too short for the stack pointer raises #TS") {
    LongModeMachine machine;
    machine.at_user();
    put_gate64(machine.memory, kIdt, 0x23, {.offset = 0x1000});
    machine.state.tr_limit = 0x0b;  // RSP0 is bytes 4-11
    CHECK(landing_of(machine.deliver(external(0x23))).rsp == 0x9'0000 - 5 * 8);
    machine.state.tr_limit = 0x0a;
    CHECK(fault_of(machine.deliver(external(0x23))).vector == 10);

    machine.at_kernel();
    put_gate64(machine.memory, kIdt, 0x24, {.offset = 0x1000, .ist = 2});
    machine.state.tr_limit = 0x2b;  // IST2 is bytes 0x2c-0x33
    CHECK(fault_of(machine.deliver(external(0x24))).vector == 10);
}

TEST_CASE("soft delivery: pushing the frame or reading the IDT can page-fault, with CR2") {
    LongModeMachine machine;
    machine.at_user();
    put_gate64(machine.memory, kIdt, 14, {.offset = 0x1000});

    // RSP0 at the top of the absent 4-6 MiB range: a supervisor write to a non-present page.
    machine.memory.write_object<uint64_t>(kTss + 4, 0x60'0000);
    Fault fault = fault_of(machine.deliver(exception(14, 0x4)));
    CHECK(fault.vector == 14);
    CHECK(fault.error_code == 0x2u);
    REQUIRE(fault.cr2);
    CHECK(*fault.cr2 >= 0x60'0000 - 6 * 8);
    CHECK(*fault.cr2 < 0x60'0000);

    // RSP0 in the read-only 6-8 MiB range with CR0.WP: P | W/R.
    machine.memory.write_object<uint64_t>(kTss + 4, 0x70'0000);
    fault = fault_of(machine.deliver(exception(14, 0x4)));
    CHECK(fault.vector == 14);
    CHECK(fault.error_code == 0x3u);

    // The IDT read is a supervisor access even from CPL 3 (the IDT page is supervisor-only and
    // readable); an IDT in an absent page faults with error code 0 at the gate's address.
    machine.memory.write_object<uint64_t>(kTss + 4, kRsp0);
    CHECK(landing_of(machine.deliver(exception(14, 0x4))).rip == 0x1000);
    machine.state.idt_base = 0x40'0000;
    fault = fault_of(machine.deliver(exception(14, 0x4)));
    CHECK(fault.vector == 14);
    CHECK(fault.error_code == 0x0u);
    CHECK(fault.cr2 == 0x40'0000u + 14 * 16);
}

TEST_CASE("soft delivery: 32-bit protected mode delivers through 8-byte gates at the same privilege") {
    LongModeMachine machine;  // its GDT; paging and long mode off
    InterruptedState& state = machine.state;
    state.long_mode = false;
    state.paging = {.cr0 = 0x1};
    state.idt_limit = 0x7ff;
    state.cpl = 0;
    state.cs = kKernelCode32;
    state.ss = kKernelData;
    state.rip = 0xc010'0000;
    state.rsp = 0x8'f002;
    state.rflags = 0x246 | kTf;
    put_gate32(machine.memory, kIdt, 14, {.offset = 0xc012'3456, .selector = kKernelCode32});

    Landing landing = landing_of(machine.deliver(exception(14, 0x2)));
    CHECK(landing.rip == 0xc012'3456);
    CHECK(landing.cs == kKernelCode32);
    CHECK(landing.ss == kKernelData);
    CHECK(landing.rsp == 0x8'f002 - 4 * 4);  // no alignment outside long mode
    CHECK(landing.rflags == 0x046);
    auto dword = [&](uint64_t at) { return machine.memory.read_object<uint32_t>(at); };
    CHECK(dword(landing.rsp + 0) == 0x2);  // error code, EIP, CS, EFLAGS (figure 6-4)
    CHECK(dword(landing.rsp + 4) == 0xc010'0000);
    CHECK(dword(landing.rsp + 8) == kKernelCode32);
    CHECK(dword(landing.rsp + 12) == (0x246 | kTf));

    // A 16-bit stack: SP moves within its segment, the frame goes at SS.base + SP.
    state.ss_32bit = false;
    state.ss_base = 0x2'0000;
    state.rsp = 0x1'0100;
    put_gate32(machine.memory, kIdt, 0x20, {.offset = 0xc012'4000, .selector = kKernelCode32, .type = kTrapGate});
    landing = landing_of(machine.deliver(external(0x20)));
    CHECK(landing.rsp == 0x1'00f4);
    CHECK(landing.rflags == 0x246);  // a trap gate keeps IF
    CHECK(dword(0x2'00f4) == 0xc010'0000);
    CHECK(dword(0x2'00f8) == kKernelCode32);
    CHECK(dword(0x2'00fc) == (0x246 | kTf));

    // Software INT through a DPL 0 gate from CPL 3: #GP(vector * 8 + 2).
    state.cpl = 3;
    state.cs = kUserCode32 | 3;
    Fault fault = fault_of(machine.deliver(software_int(0x20)));
    CHECK(fault.vector == 13);
    CHECK(fault.error_code == 0x20u * 8 + 2);
    // A privilege change through a 32-bit gate and task gates are not done by the soft CPU.
    CHECK(std::holds_alternative<Unsupported>(machine.deliver(external(0x20))));
    put_gate32(machine.memory, kIdt, 0x21, {.selector = 0x50, .type = 0x5});
    CHECK(std::holds_alternative<Unsupported>(machine.deliver(external(0x21))));
    // Not-present 32-bit gate: #NP.
    state.cpl = 0;
    state.cs = kKernelCode32;
    put_gate32(machine.memory, kIdt, 0x22, {.selector = kKernelCode32, .present = false});
    fault = fault_of(machine.deliver(external(0x22)));
    CHECK(fault.vector == 11);
    CHECK(fault.error_code == 0x22u * 8 + 3);
}

TEST_CASE("soft delivery: real mode pushes FLAGS, CS and IP and jumps through the IVT") {
    auto memory = GuestMemory::allocate(1 << 20);
    memory.write_object<uint16_t>(0x10 * 4, 0x1234);  // IVT[0x10]: offset, then segment
    memory.write_object<uint16_t>(0x10 * 4 + 2, 0xf000);
    InterruptedState state;
    state.idt_base = 0;
    state.idt_limit = 0x3ff;
    state.cs = 0x07c0;
    state.rip = 0x0012;
    state.ss = 0x9000;
    state.ss_base = 0x9'0000;
    state.ss_32bit = false;
    state.rsp = 0xfffe;
    state.rflags = 0x4302 | kAc;

    Landing landing = landing_of(deliver_event(memory, state, software_int(0x10)));
    CHECK(landing.rip == 0x1234);
    CHECK(landing.cs == 0xf000);
    CHECK(landing.ss == 0x9000);
    CHECK(landing.rsp == 0xfff8);
    CHECK(landing.cpl == 0);
    CHECK(landing.rflags == 0x4002);  // IF, TF and AC cleared
    CHECK(memory.read_object<uint16_t>(0x9'fff8) == 0x0012);
    CHECK(memory.read_object<uint16_t>(0x9'fffa) == 0x07c0);
    CHECK(memory.read_object<uint16_t>(0x9'fffc) == 0x4302);

    // An error code is not pushed in real mode; SP wraps within the segment.
    state.rsp = 0x0002;
    landing = landing_of(deliver_event(memory, state, exception(0x10, 0)));
    CHECK(landing.rsp == 0xfffc);
    CHECK(memory.read_object<uint16_t>(0x9'fffc) == 0x0012);
    CHECK(memory.read_object<uint16_t>(0x9'fffe) == 0x07c0);
    CHECK(memory.read_object<uint16_t>(0x9'0000) == 0x4302);

    // LIDT moves the table; a vector beyond its limit is a #GP.
    memory.write_object<uint16_t>(0x8000 + 0x10 * 4, 0x5678);
    memory.write_object<uint16_t>(0x8000 + 0x10 * 4 + 2, 0xc000);
    state.idt_base = 0x8000;
    landing = landing_of(deliver_event(memory, state, external(0x10)));
    CHECK(landing.rip == 0x5678);
    CHECK(landing.cs == 0xc000);
    state.idt_limit = 0x10 * 4 + 2;
    CHECK(fault_of(deliver_event(memory, state, external(0x10))).vector == 13);
}

TEST_CASE("soft delivery: escalate follows table 6-5 (double fault, serial delivery, triple fault)") {
    const std::set<uint8_t> contributory = {0, 10, 11, 12, 13};
    const uint8_t benign[] = {1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19};
    std::set<uint8_t> all(contributory);
    all.insert(14);
    all.insert(std::begin(benign), std::end(benign));

    for (uint8_t first : all) {
        for (uint8_t second : all) {
            CAPTURE(int(first), int(second));
            Fault fault{.vector = second,
                        .error_code = has_error_code(second) ? std::optional<uint32_t>(0x18) : std::nullopt,
                        .cr2 = std::nullopt};
            auto next = escalate(first, fault);
            REQUIRE(next);
            bool double_fault = (contributory.count(first) && contributory.count(second)) ||
                                (first == 14 && (contributory.count(second) || second == 14));
            if (double_fault) {
                CHECK(next->vector == 8);
                CHECK(next->error_code == 0u);
            } else {
                CHECK(next->vector == second);
                CHECK(next->error_code == fault.error_code);
            }
            CHECK_FALSE(next->software);
        }
        // Anything while delivering a double fault: shutdown.
        CHECK_FALSE(escalate(8, Fault{.vector = first, .error_code = std::nullopt, .cr2 = std::nullopt}));
    }
    // Spot checks straight from the table.
    CHECK(escalate(13, Fault{.vector = 11, .error_code = 0x10, .cr2 = {}})->vector == 8);
    CHECK(escalate(14, Fault{.vector = 14, .error_code = 0x2, .cr2 = 0x1000})->vector == 8);
    CHECK(escalate(13, Fault{.vector = 14, .error_code = 0x2, .cr2 = 0x1000})->vector == 14);
    CHECK(escalate(6, Fault{.vector = 13, .error_code = 0, .cr2 = {}})->vector == 13);
    CHECK_FALSE(escalate(8, Fault{.vector = 14, .error_code = 0x2, .cr2 = 0x1000}));
}

TEST_CASE("soft delivery: SYSCALL's landing takes CS and SS from STAR and masks RFLAGS with SFMASK") {
    InterruptedState state;
    state.long_mode = true;
    state.cpl = 3;
    state.rip = 0x40'1002;
    state.rsp = 0x7fff'ffff'e000;
    state.rflags = 0x246 | kTf | kAc | kRf | (3ull << 12);  // IOPL 3

    uint64_t star = 0x0023'0010'0000'0000;
    uint64_t sfmask = 0x4'7700;  // Linux's: TF, DF, IF, IOPL, NT, AC
    Landing landing = syscall_landing(state, star, 0xffff'ffff'8100'0040, sfmask);
    CHECK(landing.rip == 0xffff'ffff'8100'0040);
    CHECK(landing.cs == 0x10);
    CHECK(landing.ss == 0x18);
    CHECK(landing.cpl == 0);
    CHECK(landing.flat);
    CHECK(landing.loads_ss);
    CHECK(landing.rsp == 0x7fff'ffff'e000);  // SYSCALL does not switch stacks
    CHECK(landing.rflags == 0x046);

    // CS's RPL is forced to 0; SS is STAR[47:32] + 8 as written (SDM vol. 2B, SYSCALL).
    landing = syscall_landing(state, 0x0033'0013'0000'0000, 0x1000, 0);
    CHECK(landing.cs == 0x10);
    CHECK(landing.ss == 0x1b);
    CHECK(landing.rflags == (0x246 | kTf | kAc | (3ull << 12)));  // only RF is cleared without a mask
}

TEST_CASE("soft delivery: exceptions 8, 10-14, 17 and 21 push an error code") {
    const std::set<int> with_code = {8, 10, 11, 12, 13, 14, 17, 21};
    for (int vector = 0; vector < 256; ++vector) {
        CAPTURE(vector);
        CHECK(has_error_code(uint8_t(vector)) == (with_code.count(vector) == 1));
    }
}
