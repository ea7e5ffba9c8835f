// Event delivery (event_delivery.hpp), following SDM vol. 3A §6.12-6.15 step by step: long
// mode's 16-byte gates (§6.14), protected mode's 8-byte gates at the same privilege (§6.12), and
// real mode's interrupt vector table (§20.1.4).
#include "vmm/soft/event_delivery.hpp"

#include <array>
#include <cstring>

#include <fmt/format.h>

namespace glassvm::soft {
namespace {

constexpr uint64_t kRflagsTf = 1ull << 8;
constexpr uint64_t kRflagsIf = 1ull << 9;
constexpr uint64_t kRflagsNt = 1ull << 14;
constexpr uint64_t kRflagsRf = 1ull << 16;
constexpr uint64_t kRflagsVm = 1ull << 17;
constexpr uint64_t kRflagsAc = 1ull << 18;

constexpr uint8_t kGp = 13, kNp = 11, kTs = 10, kPf = 14, kDf = 8;

Fault gp(uint32_t code) { return {.vector = kGp, .error_code = code, .cr2 = std::nullopt}; }

// Error code for a fault about IDT entry `vector` (§6.13, figure 6-7: IDT bit set).
uint32_t idt_error(uint8_t vector, const Event& event) { return vector * 8u + 2u + (event.software ? 0u : 1u); }

// Linear memory as the CPU sees it at one privilege: reads and writes that page-fault.
class LinearMemory {
public:
    LinearMemory(const GuestMemory& memory, const PagingRegisters& paging, bool user)
            : m_memory(memory), m_paging(paging), m_user(user) {}

    std::optional<Fault> read(uint64_t linear, void* out, size_t size) const {
        return copy(linear, static_cast<uint8_t*>(out), size, Access::Read);
    }
    std::optional<Fault> write(uint64_t linear, const void* in, size_t size) const {
        return copy(linear, const_cast<uint8_t*>(static_cast<const uint8_t*>(in)), size, Access::Write);
    }

private:
    std::optional<Fault> copy(uint64_t linear, uint8_t* bytes, size_t size, Access access) const {
        while (size > 0) {
            size_t chunk = std::min<size_t>(size, 0x1000 - (linear & 0xfff));
            auto where = translate(m_memory, m_paging, linear, access, m_user);
            if (auto* fault = std::get_if<PageFault>(&where))
                return Fault{.vector = kPf, .error_code = fault->error_code, .cr2 = linear};
            auto span = m_memory.try_slice(std::get<uint64_t>(where), chunk);
            // Beyond RAM: an MMIO page. The CPU would write to a device; glassvm refuses rather
            // than guess, as a machine check would.
            if (!span) return Fault{.vector = 18, .error_code = std::nullopt, .cr2 = std::nullopt};
            if (access == Access::Write)
                std::memcpy(span->data(), bytes, chunk);
            else
                std::memcpy(bytes, span->data(), chunk);
            linear += chunk;
            bytes += chunk;
            size -= chunk;
        }
        return std::nullopt;
    }

    const GuestMemory& m_memory;
    PagingRegisters m_paging;
    bool m_user;
};

// A segment descriptor's two halves as the SDM draws them (vol. 3A §3.4.5, figure 3-8).
struct Descriptor {
    uint32_t low = 0;
    uint32_t high = 0;
    uint8_t type() const { return (high >> 8) & 0xf; }
    bool system() const { return !((high >> 12) & 1); }
    int dpl() const { return (high >> 13) & 3; }
    bool present() const { return (high >> 15) & 1; }
    bool long_code() const { return (high >> 21) & 1; }
    bool default_32() const { return (high >> 22) & 1; }
    bool code() const { return !system() && (type() & 0x8); }
    bool conforming() const { return code() && (type() & 0x4); }
};

// The code segment a gate names, checked as §6.12.1.1 and §6.14.1 require.
std::variant<Descriptor, Fault, Unsupported> gate_code_segment(const LinearMemory& supervisor,
                                                               const InterruptedState& state, uint16_t selector,
                                                               const Event& event, bool want_long) {
    uint32_t ext = event.software ? 0 : 1;
    if ((selector & 0xfffc) == 0) return gp(ext);
    if (selector & 4) return Unsupported{fmt::format("a gate naming LDT selector {:#x}", selector)};
    if ((selector | 7u) > state.gdt_limit) return gp((selector & 0xfffc) | ext);
    Descriptor descriptor;
    if (auto fault = supervisor.read(state.gdt_base + (selector & ~7u), &descriptor, 8)) return *fault;
    if (!descriptor.code() || descriptor.dpl() > state.cpl) return gp((selector & 0xfffc) | ext);
    if (want_long && (!descriptor.long_code() || descriptor.default_32())) return gp((selector & 0xfffc) | ext);
    if (!descriptor.present()) return Fault{.vector = kNp, .error_code = (selector & 0xfffcu) | ext, .cr2 = {}};
    return descriptor;
}

// An interrupt or trap gate (16 bytes in long mode, §6.14.1; 8 in protected mode, §6.11) and the
// code segment it names, found and checked as delivery does: within the IDT's limit, of a usable
// type, admitting a software interrupt's CPL, present; then the code segment (gate_code_segment).
struct Gate {
    uint16_t selector;
    uint8_t ist;  // long mode only
    uint8_t type;
    uint64_t offset;
    Descriptor code;
};

std::variant<Gate, Fault, Unsupported> checked_gate(const GuestMemory& memory, const InterruptedState& state,
                                                    const Event& event, uint32_t gate_size) {
    LinearMemory supervisor(memory, state.paging, false);
    uint64_t entry = uint64_t(event.vector) * gate_size;
    if (entry + gate_size - 1 > state.idt_limit) return gp(idt_error(event.vector, event));
    std::array<uint32_t, 4> words{};
    if (auto fault = supervisor.read(state.idt_base + entry, words.data(), gate_size)) return *fault;
    Gate gate{};
    gate.selector = static_cast<uint16_t>(words[0] >> 16);
    gate.ist = gate_size == 16 ? static_cast<uint8_t>(words[1] & 7) : 0;
    gate.type = static_cast<uint8_t>((words[1] >> 8) & 0x1f);
    int gate_dpl = (words[1] >> 13) & 3;
    bool present = (words[1] >> 15) & 1;
    gate.offset = (words[0] & 0xffff) | (words[1] & 0xffff0000u) | (gate_size == 16 ? uint64_t(words[2]) << 32 : 0);
    if (gate_size == 8 && (gate.type == 0x5 || gate.type == 0x6 || gate.type == 0x7))
        return Unsupported{fmt::format("a {} gate for vector {}", gate.type == 0x5 ? "task" : "16-bit", event.vector)};
    if (gate.type != 0xE && gate.type != 0xF) return gp(idt_error(event.vector, event));
    if (event.software && gate_dpl < state.cpl) return gp(idt_error(event.vector, event));
    if (!present) return Fault{.vector = kNp, .error_code = idt_error(event.vector, event), .cr2 = {}};
    auto code = gate_code_segment(supervisor, state, gate.selector, event, gate_size == 16);
    if (auto* fault = std::get_if<Fault>(&code)) return *fault;
    if (auto* unsupported = std::get_if<Unsupported>(&code)) return *unsupported;
    gate.code = std::get<Descriptor>(code);
    return gate;
}

// §6.14: a 64-bit IDT gate, the stack from the TSS when the privilege or IST says so, a frame of
// five or six quadwords on a 16-byte aligned stack.
DeliveryResult deliver_long_mode(const GuestMemory& memory, const InterruptedState& state, const Event& event) {
    auto found = checked_gate(memory, state, event, 16);
    if (auto* fault = std::get_if<Fault>(&found)) return *fault;
    if (auto* unsupported = std::get_if<Unsupported>(&found)) return *unsupported;
    const Gate& gate = std::get<Gate>(found);
    uint16_t selector = gate.selector;
    uint8_t ist = gate.ist;
    uint8_t type = gate.type;
    uint64_t offset = gate.offset;
    const Descriptor& descriptor = gate.code;
    int new_cpl = descriptor.conforming() ? state.cpl : descriptor.dpl();
    LinearMemory supervisor(memory, state.paging, false);

    uint64_t rsp = state.rsp;
    auto tss_quad = [&](uint32_t offset_in_tss) -> std::variant<uint64_t, Fault> {
        if (offset_in_tss + 7 > state.tr_limit) return Fault{.vector = kTs, .error_code = 0u, .cr2 = {}};
        uint64_t value = 0;
        if (auto fault = supervisor.read(state.tr_base + offset_in_tss, &value, 8)) return *fault;
        return value;
    };
    if (ist != 0 || new_cpl < state.cpl) {
        // TSS layout (§7.7, figure 7-11): RSP0-2 at 4, IST1-7 at 0x24.
        auto value = tss_quad(ist != 0 ? 0x24u + 8u * (ist - 1u) : 4u + 8u * uint32_t(new_cpl));
        if (auto* fault = std::get_if<Fault>(&value)) return *fault;
        rsp = std::get<uint64_t>(value);
    }
    rsp &= ~uint64_t(0xf);

    std::array<uint64_t, 6> frame{};  // lowest address first: [error code,] RIP, CS, RFLAGS, RSP, SS
    size_t count = 0;
    if (event.error_code) frame[count++] = *event.error_code;
    frame[count++] = state.rip;
    frame[count++] = state.cs;
    frame[count++] = state.rflags;
    frame[count++] = state.rsp;
    frame[count++] = state.ss;
    rsp -= count * 8;
    LinearMemory stack(memory, state.paging, new_cpl == 3);
    if (auto fault = stack.write(rsp, frame.data(), count * 8)) return *fault;

    Landing landing;
    landing.rip = offset;
    landing.rsp = rsp;
    landing.rflags = state.rflags & ~(kRflagsTf | kRflagsNt | kRflagsRf | kRflagsVm);
    if (type == 0xE) landing.rflags &= ~kRflagsIf;  // an interrupt gate; a trap gate leaves IF
    landing.cs = static_cast<uint16_t>((selector & 0xfffc) | new_cpl);
    landing.cpl = new_cpl;
    landing.loads_ss = new_cpl < state.cpl;
    landing.ss = landing.loads_ss ? static_cast<uint16_t>(new_cpl) : state.ss;  // a null SS with RPL = CPL
    return landing;
}

// §6.12.1: a 32-bit interrupt or trap gate to a handler at the same privilege level.
DeliveryResult deliver_protected_mode(const GuestMemory& memory, const InterruptedState& state, const Event& event) {
    auto found = checked_gate(memory, state, event, 8);
    if (auto* fault = std::get_if<Fault>(&found)) return *fault;
    if (auto* unsupported = std::get_if<Unsupported>(&found)) return *unsupported;
    const Gate& gate = std::get<Gate>(found);
    uint16_t selector = gate.selector;
    uint8_t type = gate.type;
    auto offset = static_cast<uint32_t>(gate.offset);
    const Descriptor& descriptor = gate.code;
    int new_cpl = descriptor.conforming() ? state.cpl : descriptor.dpl();
    if (new_cpl != state.cpl)
        return Unsupported{"a privilege change through a 32-bit gate (the soft CPU delivers those only in long mode)"};

    std::array<uint32_t, 4> frame{};
    size_t count = 0;
    if (event.error_code) frame[count++] = *event.error_code;
    frame[count++] = static_cast<uint32_t>(state.rip);
    frame[count++] = state.cs;
    frame[count++] = static_cast<uint32_t>(state.rflags);
    uint64_t rsp = state.ss_32bit ? (state.rsp - count * 4) & 0xffff'ffffull
                                  : (state.rsp & ~0xffffull) | ((state.rsp - count * 4) & 0xffff);
    uint64_t offset_in_ss = state.ss_32bit ? rsp : (rsp & 0xffff);
    LinearMemory stack(memory, state.paging, new_cpl == 3);
    if (auto fault = stack.write(state.ss_base + offset_in_ss, frame.data(), count * 4)) return *fault;

    Landing landing;
    landing.rip = offset;
    landing.rsp = rsp;
    landing.rflags = state.rflags & ~(kRflagsTf | kRflagsNt | kRflagsRf | kRflagsVm);
    if (type == 0xE) landing.rflags &= ~kRflagsIf;
    landing.cs = static_cast<uint16_t>((selector & 0xfffc) | new_cpl);
    landing.ss = state.ss;
    landing.cpl = new_cpl;
    return landing;
}

// Real mode (§20.1.4): a far pointer in the interrupt vector table; FLAGS, CS and IP pushed.
DeliveryResult deliver_real_mode(const GuestMemory& memory, const InterruptedState& state, const Event& event) {
    LinearMemory linear(memory, state.paging, false);
    uint64_t entry = uint64_t(event.vector) * 4;
    if (entry + 3 > state.idt_limit) return gp(0);
    std::array<uint16_t, 2> vector_entry{};  // offset, segment
    if (auto fault = linear.read(state.idt_base + entry, vector_entry.data(), 4)) return *fault;
    std::array<uint16_t, 3> frame{static_cast<uint16_t>(state.rip), state.cs, static_cast<uint16_t>(state.rflags)};
    uint16_t sp = static_cast<uint16_t>(state.rsp - 6);
    for (size_t i = 0; i < frame.size(); ++i) {
        uint16_t at = static_cast<uint16_t>(sp + 2 * i);  // SP wraps within the 64 KiB segment
        if (auto fault = linear.write(state.ss_base + at, &frame[i], 2)) return *fault;
    }
    Landing landing;
    landing.rip = vector_entry[0];
    landing.rsp = (state.rsp & ~0xffffull) | sp;
    landing.rflags = state.rflags & ~(kRflagsIf | kRflagsTf | kRflagsAc | kRflagsRf);
    landing.cs = vector_entry[1];
    landing.ss = state.ss;
    landing.cpl = 0;
    return landing;
}

bool contributory(uint8_t vector) { return vector == 0 || (vector >= 10 && vector <= 13); }

}  // namespace

bool has_error_code(uint8_t vector) {
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

DeliveryResult deliver_event(const GuestMemory& memory, const InterruptedState& state, const Event& event) {
    if (state.long_mode) return deliver_long_mode(memory, state, event);
    if (state.protected_mode) return deliver_protected_mode(memory, state, event);
    return deliver_real_mode(memory, state, event);
}

Landing syscall_landing(const InterruptedState& state, uint64_t star, uint64_t lstar, uint64_t sfmask) {
    Landing landing;
    landing.cs = static_cast<uint16_t>((star >> 32) & 0xfffc);
    // SS is STAR[47:32] + 8 as written, its RPL not forced to 0 as CS's is (SDM vol. 2B, SYSCALL
    // "Operation": SS.Selector := IA32_STAR[47:32] + 8).
    landing.ss = static_cast<uint16_t>(((star >> 32) & 0xffff) + 8);
    landing.cpl = 0;
    landing.loads_ss = true;
    landing.flat = true;
    landing.rip = lstar;
    landing.rsp = state.rsp;
    landing.rflags = state.rflags & ~sfmask & ~kRflagsRf;
    return landing;
}

std::optional<Event> escalate(uint8_t first_vector, const Fault& second) {
    if (first_vector == kDf) return std::nullopt;  // a fault delivering a double fault: shutdown
    bool double_fault = (contributory(first_vector) && contributory(second.vector)) ||
                        (first_vector == kPf && (contributory(second.vector) || second.vector == kPf));
    if (double_fault) return Event{.vector = kDf, .error_code = 0u, .software = false, .external = false};
    return Event{.vector = second.vector, .error_code = second.error_code, .software = false, .external = false};
}

}  // namespace glassvm::soft
