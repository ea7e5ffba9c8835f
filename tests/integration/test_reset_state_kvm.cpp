// What KVM gives a fresh vCPU, next to the architectural reset state glassvm's firmware path sets
// (vmm/x86/reset_state.hpp): they agree on every field of SDM Table 9-1 but EDX, which KVM sets
// before the vCPU has a CPUID. If a KVM version ever differs, this test says where.
#include <catch2/catch.hpp>

#include "kvm/kvm_system.hpp"
#include "kvm/vm.hpp"
#include "process.hpp"
#include "x86/cpuid.hpp"
#include "x86/reset_state.hpp"

using namespace glassvm;

namespace {

void check_same_segment(const kvm_segment& kvm, const kvm_segment& ours) {
    CHECK(kvm.selector == ours.selector);
    CHECK(kvm.base == ours.base);
    CHECK(kvm.limit == ours.limit);
    CHECK(kvm.type == ours.type);
    CHECK(kvm.present == ours.present);
    CHECK(kvm.s == ours.s);
    CHECK(kvm.db == ours.db);
    CHECK(kvm.l == ours.l);
}

}  // namespace

TEST_CASE("a fresh KVM vCPU is in the reset state but for EDX", "[firmware]") {
    test::require_kvm();
    KvmSystem kvm = KvmSystem::open();
    Vm vm = Vm::create(kvm);
    Vcpu vcpu = vm.create_vcpu(kvm, 0);
    kvm_sregs fresh = vcpu.sregs();
    kvm_regs fresh_regs = vcpu.regs();
    kvm_sregs reset = x86::reset_sregs(fresh);
    {
        INFO("CS");
        check_same_segment(fresh.cs, reset.cs);
    }
    for (auto [name, kvm_segment, our_segment] : {std::tuple{"DS", fresh.ds, reset.ds}, {"SS", fresh.ss, reset.ss},
                                                  {"ES", fresh.es, reset.es}, {"FS", fresh.fs, reset.fs},
                                                  {"GS", fresh.gs, reset.gs}}) {
        INFO(name);
        check_same_segment(kvm_segment, our_segment);
    }
    CHECK(fresh.cr0 == reset.cr0);
    CHECK(fresh.cr4 == reset.cr4);
    CHECK(fresh.efer == reset.efer);
    CHECK(fresh.gdt.limit == reset.gdt.limit);
    CHECK(fresh.idt.limit == reset.idt.limit);
    CHECK(fresh_regs.rip == x86::kResetInstructionPointer);
    CHECK(fresh_regs.rflags == 0x2);

    // EDX: KVM's reset ran before any CPUID existed; glassvm puts the signature there.
    std::vector<kvm_cpuid_entry2> given = x86::guest_cpuid(kvm.supported_cpuid(), 0);
    vcpu.set_cpuid(given);
    uint32_t signature = x86::processor_signature(vcpu.cpuid());
    CHECK(signature == x86::processor_signature(given));  // KVM_GET_CPUID2 returns what was set
    CHECK(signature != x86::kDefaultProcessorSignature);
    vcpu.set_regs(x86::reset_regs(signature));
    CHECK(vcpu.regs().rdx == signature);
}
