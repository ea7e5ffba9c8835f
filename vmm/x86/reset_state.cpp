// The architectural reset state (SDM vol. 3A, Table 9-1); see reset_state.hpp.
#include "vmm/x86/reset_state.hpp"

namespace glassvm::x86 {

namespace {

// A real-mode segment as RESET leaves it: limit 0xFFFF, present, accessed, read/write data
// (type 3) or execute/read code (type 0xB), 16-bit, byte-granular.
kvm_segment real_mode_segment(uint16_t selector, uint64_t base, uint8_t type) {
    kvm_segment segment{};
    segment.selector = selector;
    segment.base = base;
    segment.limit = 0xFFFF;
    segment.type = type;
    segment.present = 1;
    segment.s = 1;
    return segment;
}

}  // namespace

kvm_sregs reset_sregs(kvm_sregs sregs) {
    sregs.cs = real_mode_segment(kResetCodeSelector, kResetCodeBase, 0xB);
    for (kvm_segment* data : {&sregs.ds, &sregs.es, &sregs.ss, &sregs.fs, &sregs.gs})
        *data = real_mode_segment(0, 0, 0x3);
    sregs.gdt = {.base = 0, .limit = 0xFFFF, .padding = {}};
    sregs.idt = {.base = 0, .limit = 0xFFFF, .padding = {}};
    sregs.cr0 = kResetCr0;
    sregs.cr2 = 0;
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
    return sregs;
}

kvm_regs reset_regs(uint32_t processor_signature) {
    kvm_regs regs{};
    regs.rip = kResetInstructionPointer;
    regs.rflags = 0x2;  // bit 1 is reserved and always 1; IF = 0
    regs.rdx = processor_signature;
    return regs;
}

uint32_t processor_signature(const std::vector<kvm_cpuid_entry2>& cpuid) {
    for (const kvm_cpuid_entry2& entry : cpuid)
        if (entry.function == 1) return entry.eax;
    return kDefaultProcessorSignature;
}

}  // namespace glassvm::x86
