// The interrupt descriptor table, shared by every CPU: the code the CPU runs for each of the 32
// exception vectors, the 32 interrupt vectors after them (interrupt.cpp), and the wake-up IPI.
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

// A 64-bit interrupt gate (SDM Vol. 3A, "64-Bit Mode IDT"), as two quadwords like the GDT's
// descriptors: offset[15:0], selector, IST, type and attributes, offset[31:16]; then offset[63:32].
struct Gate {
    uint64_t low, high;
};
static_assert(sizeof(Gate) == 16);

// Present, DPL 0 (so `int N` from ring 3 cannot use it), type 0xE: 64-bit interrupt gate,
// which clears IF on entry.
constexpr uint8_t kInterruptGate = 0x8e;
constexpr unsigned kDoubleFault = 8;

// All 256 vectors, so interrupt gates can be added past the stubs (the wake-up IPI); unused ones
// are not present (a stray vector raises #NP, reported like any kernel exception).
alignas(16) constinit Gate idt[256] = {};

struct [[gnu::packed]] DescriptorTablePointer {
    uint16_t limit;
    uint64_t base;
};

constexpr Gate make_gate(uint64_t handler, uint8_t ist) {
    return Gate{
        .low = (handler & 0xffff) | (uint64_t{kKernelCode} << 16) | (uint64_t{ist} << 32) |
               (uint64_t{kInterruptGate} << 40) | (((handler >> 16) & 0xffff) << 48),
        .high = handler >> 32,
    };
}

// Gates First .. First+Count-1, unrolled at compile time: one add and one store per gate. Every
// ring-0 instruction is emulated on our development host (~1.4 µs each), and the loop this
// replaces cost ~440 µs of the boot; this costs ~130 instructions. Only the low quadword is
// written: the kernel ends below 2 MiB (linker.ld asserts it), so offset[63:32], the high
// quadword, is the zero the loader left there.
template <unsigned First, unsigned Count>
[[gnu::always_inline]] inline void fill_stub_gates(uint64_t first_low) {
    if constexpr (Count == 1) {
        idt[First].low = first_low + First * kTrapStubSize;
    } else {
        fill_stub_gates<First, Count / 2>(first_low);
        fill_stub_gates<First + Count / 2, Count - Count / 2>(first_low);
    }
}

}  // namespace

void idt_init() {
    // The stubs lie kTrapStubSize apart in one block that trap_entry.S aligns to 2 KiB, so their
    // addresses differ only in bits 15:0 and each gate is the first one plus a multiple of
    // kTrapStubSize.
    fill_stub_gates<0, kStubCount>(make_gate(reinterpret_cast<uint64_t>(trap_stubs), 0).low);
    // A double fault may come from a broken kernel stack: give it a stack of its own (IST1).
    idt[kDoubleFault].low |= uint64_t{1} << 32;
    idt_load();
}

// One IDT serves every CPU: each loads the same table into its own IDTR.
void idt_load() {
    DescriptorTablePointer pointer{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
    asm volatile("lidt %0" : : "m"(pointer));
}

void idt_set_interrupt_gate(uint8_t vector, void (*handler)()) {
    idt[vector] = make_gate(reinterpret_cast<uint64_t>(handler), 0);
}

}  // namespace glassvm::guest
