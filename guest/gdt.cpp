// The global descriptor tables and task-state segments, one of each per CPU: the segments ring 0
// and ring 3 run in, and the stacks each CPU switches to when ring 3 is interrupted.
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

// 64-bit task-state segment (Intel SDM Vol. 3A, "Task Management in 64-bit Mode", 64-Bit TSS
// Format). In long mode it holds no task state, only stack pointers.
struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp[3];  // stack for entering ring 0, 1, 2 from an outer ring
    uint64_t reserved1;
    uint64_t ist[7];  // interrupt stack table: IST1..IST7, chosen per IDT gate
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_map_base;  // offset of the I/O permission bitmap; at the limit = no bitmap
};
static_assert(sizeof(Tss) == 104);

constinit Tss tss[abi::kMaxCpus]{};

// Segment descriptors (SDM Vol. 3A, "Segment Descriptors"). In 64-bit mode base and limit are
// ignored; what matters is P, DPL, type, and L (64-bit code). Accessed bits are preset.
// The order is forced by SYSCALL/SYSRET (SDM Vol. 2B): SYSCALL loads CS = STAR[47:32] and
// SS = CS + 8; SYSRET to 64-bit code loads SS = STAR[63:48] + 8 and CS = STAR[63:48] + 16.
// So kernel code, kernel data must be adjacent, and user data must come right before user code.
// Every CPU gets a copy: its TSS descriptor differs, and LTR marks it busy in that CPU's table,
// so one descriptor cannot serve two CPUs (SDM Vol. 3A §7.2.2, "TSS Descriptor", busy flag).
constexpr size_t kGdtEntries = 7;
constexpr uint64_t kGdtTemplate[kGdtEntries] = {
    0,                      // 0x00 null
    0x00af'9b00'0000'ffff,  // 0x08 kernel code: 64-bit, DPL 0
    0x00cf'9300'0000'ffff,  // 0x10 kernel data: writable, DPL 0
    0x00cf'f300'0000'ffff,  // 0x18 user data: writable, DPL 3
    0x00af'fb00'0000'ffff,  // 0x20 user code: 64-bit, DPL 3
    0,                      // 0x28 TSS: a 16-byte system descriptor, filled in by gdt_init
    0,
};
alignas(16) constinit uint64_t gdt[abi::kMaxCpus][kGdtEntries] = {};

struct [[gnu::packed]] DescriptorTablePointer {
    uint16_t limit;
    uint64_t base;
};

// 64-bit TSS descriptor (SDM Vol. 3A, "TSS Descriptor in 64-bit mode"): type 9, available TSS.
void set_tss_descriptor(uint64_t (&table)[kGdtEntries], uint64_t base, uint32_t limit) {
    constexpr uint64_t kPresentAvailableTss = 0x89;
    table[5] = (limit & 0xffff) | ((base & 0xff'ffff) << 16) | (kPresentAvailableTss << 40) |
               (uint64_t((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    table[6] = base >> 32;
}

}  // namespace

void gdt_init(unsigned cpu, uint64_t stack_top, uint64_t fault_stack_top) {
    Tss& task_state = tss[cpu];
    task_state.rsp[0] = stack_top;
    task_state.ist[0] = fault_stack_top;  // IST1, used by #DF (idt.cpp)
    task_state.io_map_base = sizeof(Tss);
    uint64_t(&table)[kGdtEntries] = gdt[cpu];
    memcpy(table, kGdtTemplate, sizeof table);
    set_tss_descriptor(table, reinterpret_cast<uint64_t>(&task_state), sizeof(Tss) - 1);

    DescriptorTablePointer pointer{sizeof table - 1, reinterpret_cast<uint64_t>(table)};
    // Load the table, then reload every segment register from it: CS by a far return, the data
    // segments by moves, and the task register (which marks our TSS descriptor busy).
    asm volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %w2, %%ds\n\t"
        "mov %w2, %%es\n\t"
        "mov %w2, %%ss\n\t"
        "ltr %w3"
        :
        : "m"(pointer), "i"(kKernelCode), "r"(kKernelData), "r"(kTssSelector)
        : "rax", "memory");
}

// Each task has its own kernel stack: an interrupt from ring 3 must land on the running task's
// (the scheduler calls this at every switch, for the CPU it runs on).
void set_ring0_stack(unsigned cpu, uint64_t top) { tss[cpu].rsp[0] = top; }

}  // namespace glassvm::guest
