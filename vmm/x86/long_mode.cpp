// Composes the long-mode register state for direct boot.
#include "vmm/x86/long_mode.hpp"

#include <glassvm/abi.hpp>

#include "vmm/x86/gdt.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm::x86 {

kvm_sregs long_mode_sregs(kvm_sregs sregs, uint64_t cr3) {
    sregs.gdt.base = layout::kBootGdt;
    sregs.gdt.limit = kBootGdtEntries * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;  // no IDT until the kernel installs one: an exception before that triple-faults

    sregs.cs = to_kvm_segment(boot_code_descriptor(), kBootCodeSelector);
    kvm_segment data = to_kvm_segment(boot_data_descriptor(), kBootDataSelector);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;

    sregs.cr3 = cr3;
    sregs.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt;
    sregs.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
    sregs.efer = kEferLme | kEferLma;
    return sregs;
}

kvm_regs boot_regs(uint64_t entry, uint64_t boot_info_address) {
    kvm_regs regs{};
    regs.rip = entry;
    regs.rdi = abi::kBootMagic;
    regs.rsi = boot_info_address;
    regs.rsp = layout::kBootStackTop;
    regs.rflags = 1ull << 1;  // bit 1 is reserved and always 1
    return regs;
}

}  // namespace glassvm::x86
