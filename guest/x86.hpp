// The handful of x86 instructions the kernel needs that C++ cannot express, as inline functions.
#pragma once

#include <stdint.h>

namespace glassvm::guest::x86 {

inline void out8(uint16_t port, uint8_t value) { asm volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }

inline uint8_t in8(uint16_t port) {
    uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

// Model-specific registers (Intel SDM Vol. 4 lists them; Vol. 3A §2.2.1 EFER).
inline constexpr uint32_t kMsrEfer = 0xC000'0080;
inline constexpr uint32_t kMsrStar = 0xC000'0081;
inline constexpr uint32_t kMsrLstar = 0xC000'0082;
inline constexpr uint32_t kMsrFmask = 0xC000'0084;
inline constexpr uint32_t kMsrKernelGsBase = 0xC000'0102;  // swapped into GS.base by SWAPGS
inline constexpr uint32_t kMsrTscAux = 0xC000'0103;        // what RDTSCP returns in ECX
inline constexpr uint64_t kEferSce = 1u << 0;              // SYSCALL/SYSRET enable

inline uint64_t read_msr(uint32_t msr) {
    uint32_t low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
    return (uint64_t{high} << 32) | low;
}

inline void write_msr(uint32_t msr, uint64_t value) {
    asm volatile("wrmsr" : : "c"(msr), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)));
}

inline uint64_t read_tsc() {
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t{high} << 32) | low;
}

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(uint32_t leaf) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(0));
    return r;
}

inline uint64_t read_cr2() {
    uint64_t value;
    asm volatile("mov %%cr2, %0" : "=r"(value));
    return value;
}

inline uint64_t read_cr3() {
    uint64_t value;
    asm volatile("mov %%cr3, %0" : "=r"(value));
    return value;
}

// Loading CR3 also flushes the TLB's non-global entries (SDM Vol. 3A §4.10.4.1).
inline void write_cr3(uint64_t value) { asm volatile("mov %0, %%cr3" : : "r"(value) : "memory"); }

// Device registers: 32-bit loads and stores the compiler must neither merge nor drop.
inline uint32_t read_mmio32(uint64_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }
inline void write_mmio32(uint64_t address, uint32_t value) { *reinterpret_cast<volatile uint32_t*>(address) = value; }

// Waits for an interrupt with interrupts enabled, and disables them again after it was handled.
// STI's one-instruction shadow (SDM Vol. 2B, STI) makes `sti; hlt` safe: an interrupt pending
// before STI is taken after HLT has started, so it cannot slip in between and be missed.
inline void wait_for_interrupt() { asm volatile("sti; hlt; cli" : : : "memory"); }

[[noreturn]] inline void halt_forever() {
    for (;;) asm volatile("cli; hlt");
}

}  // namespace glassvm::guest::x86
