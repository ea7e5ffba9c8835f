// Unit tests for the architectural reset state the firmware path starts the boot vCPU in
// (SDM vol. 3A, Table 9-1).
#include <catch2/catch.hpp>

#include <vector>

#include "vmm/x86/cpu_state.hpp"

namespace x86 = glassvm::x86;

TEST_CASE("reset state: real mode at F000:FFF0 with CS.base 0xFFFF0000", "[firmware]") {
    kvm_sregs before{};
    before.apic_base = 0xfee00900;
    before.tr.type = 11;
    before.cr0 = 0x80000011;
    before.efer = 0x500;
    before.cs.l = 1;
    kvm_sregs sregs = x86::reset_sregs(before);
    CHECK(sregs.cs.selector == 0xF000);
    CHECK(sregs.cs.base == 0xFFFF0000);
    CHECK(sregs.cs.base + x86::kResetInstructionPointer == 0xFFFFFFF0);
    CHECK(sregs.cs.limit == 0xFFFF);
    CHECK((sregs.cs.type == 0xB && sregs.cs.present == 1 && sregs.cs.s == 1 && sregs.cs.l == 0 && sregs.cs.db == 0));
    for (const kvm_segment& data : {sregs.ds, sregs.es, sregs.ss, sregs.fs, sregs.gs})
        CHECK((data.selector == 0 && data.base == 0 && data.limit == 0xFFFF && data.type == 3 && data.present == 1));
    CHECK(sregs.cr0 == 0x60000010);
    CHECK((sregs.cr3 == 0 && sregs.cr4 == 0 && sregs.efer == 0));
    CHECK((sregs.gdt.base == 0 && sregs.gdt.limit == 0xFFFF && sregs.idt.limit == 0xFFFF));
    CHECK(sregs.apic_base == 0xfee00900);  // kept
    CHECK(sregs.tr.type == 11);            // kept
}

TEST_CASE("reset state: registers zero but RIP, RFLAGS and the signature in EDX", "[firmware]") {
    kvm_regs regs = x86::reset_regs(0x50654);
    CHECK(regs.rip == 0xFFF0);
    CHECK(regs.rflags == 0x2);
    CHECK(regs.rdx == 0x50654);
    CHECK((regs.rax == 0 && regs.rsp == 0 && regs.rbx == 0));
}

TEST_CASE("reset state: the processor signature comes from CPUID leaf 1", "[firmware]") {
    std::vector<kvm_cpuid_entry2> cpuid(2);
    cpuid[0].function = 0;
    cpuid[0].eax = 0xd;
    cpuid[1].function = 1;
    cpuid[1].eax = 0x50654;
    CHECK(x86::processor_signature(cpuid) == 0x50654);
    CHECK(x86::processor_signature({}) == x86::kDefaultProcessorSignature);
}
