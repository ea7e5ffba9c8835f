// The bzImage 64-bit entry state; see linux_entry.hpp.
#include "vmm/x86/linux_entry.hpp"

#include "vmm/x86/gdt.hpp"
#include "vmm/x86/layout.hpp"
#include "vmm/x86/long_mode.hpp"

namespace glassvm::x86 {

void write_linux_boot_gdt(const GuestMemory& memory) {
    memory.write_object<uint64_t>(layout::kBootGdt, 0);
    memory.write_object<uint64_t>(layout::kBootGdt + 0x08, 0);
    memory.write_object<uint64_t>(layout::kBootGdt + kLinuxBootCodeSelector, encode_descriptor(boot_code_descriptor()));
    memory.write_object<uint64_t>(layout::kBootGdt + kLinuxBootDataSelector, encode_descriptor(boot_data_descriptor()));
}

kvm_sregs linux_entry_sregs(kvm_sregs sregs, uint64_t cr3) {
    sregs = long_mode_sregs(sregs, cr3);
    sregs.gdt.limit = kLinuxGdtEntries * 8 - 1;
    sregs.cs = to_kvm_segment(boot_code_descriptor(), kLinuxBootCodeSelector);
    kvm_segment data = to_kvm_segment(boot_data_descriptor(), kLinuxBootDataSelector);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    return sregs;
}

kvm_regs linux_entry_regs(uint64_t entry, uint64_t boot_params_address) {
    kvm_regs regs{};
    regs.rip = entry;
    regs.rsi = boot_params_address;
    regs.rsp = layout::kBootStackTop;
    regs.rflags = 1ull << 1;  // IF clear: interrupts off
    return regs;
}

}  // namespace glassvm::x86
