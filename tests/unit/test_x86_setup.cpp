// Unit tests for the x86 boot state: segment descriptors and the boot GDT, the long-mode
// special registers, the entry registers, and the per-vCPU CPUID (APIC ids).
#include <catch2/catch.hpp>

#include <linux/kvm.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <glassvm/abi.hpp>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/cpuid.hpp"
#include "vmm/x86/gdt.hpp"
#include "vmm/x86/layout.hpp"

using glassvm::GuestMemory;
using glassvm::x86::boot_code_descriptor;
using glassvm::x86::boot_data_descriptor;
using glassvm::x86::encode_descriptor;
using glassvm::x86::SegmentDescriptor;
using glassvm::x86::to_kvm_segment;

namespace layout = glassvm::layout;

TEST_CASE("gdt: boot descriptors encode as the well-known flat 64-bit code and data", "[gdt]") {
    CHECK(encode_descriptor(boot_code_descriptor()) == 0x00AF'9B00'0000'FFFFull);
    CHECK(encode_descriptor(boot_data_descriptor()) == 0x00CF'9300'0000'FFFFull);
}

TEST_CASE("gdt: every descriptor field lands in its place", "[gdt]") {
    // A DPL-3 available 64-bit TSS (type 9, S=0) with a scattered base and limit, byte-granular
    // limit; SDM vol. 3A figure 3-8.
    SegmentDescriptor tss{.base = 0x1234'5678,
                          .limit = 0xA'BCDE,
                          .type = 0x9,
                          .code_or_data = false,
                          .privilege = 3,
                          .present = true,
                          .long_mode = false,
                          .default_32 = false,
                          .granularity = true};
    //   base 31:24 | G D L AVL limit 19:16 | P DPL S type | base 23:0 | limit 15:0
    CHECK(encode_descriptor(tss) == 0x12'8A'E9'345678'BCDEull);

    SegmentDescriptor absent{};
    absent.present = false;
    absent.code_or_data = false;
    CHECK(encode_descriptor(absent) == 0);
}

TEST_CASE("gdt: hidden segment state for the boot code and data selectors", "[gdt]") {
    kvm_segment code = to_kvm_segment(boot_code_descriptor(), glassvm::x86::kBootCodeSelector);
    CHECK(code.base == 0);
    CHECK(code.limit == 0xFFFF'FFFFu);  // 0xfffff pages of 4 KiB, as bytes
    CHECK(code.selector == 0x08);
    CHECK(code.type == 0xB);
    CHECK(code.present == 1);
    CHECK(code.dpl == 0);
    CHECK(code.db == 0);  // a 64-bit code segment must have D clear when L is set
    CHECK(code.s == 1);
    CHECK(code.l == 1);
    CHECK(code.g == 1);
    CHECK(code.avl == 0);
    CHECK(code.unusable == 0);

    kvm_segment data = to_kvm_segment(boot_data_descriptor(), glassvm::x86::kBootDataSelector);
    CHECK(data.base == 0);
    CHECK(data.limit == 0xFFFF'FFFFu);
    CHECK(data.selector == 0x10);
    CHECK(data.type == 0x3);
    CHECK(data.present == 1);
    CHECK(data.db == 1);
    CHECK(data.s == 1);
    CHECK(data.l == 0);
    CHECK(data.g == 1);
    CHECK(data.unusable == 0);
}

TEST_CASE("gdt: a byte-granular limit is passed through unscaled", "[gdt]") {
    SegmentDescriptor small{.base = 0x1000, .limit = 0x6'7FFF, .type = 0x3};
    kvm_segment segment = to_kvm_segment(small, 0x2B);
    CHECK(segment.limit == 0x6'7FFF);
    CHECK(segment.base == 0x1000);
    CHECK(segment.selector == 0x2B);
    CHECK(segment.g == 0);
}

TEST_CASE("gdt: write_boot_gdt writes null, code, data at the boot GDT address", "[gdt]") {
    GuestMemory memory = GuestMemory::allocate(64 * 1024);
    std::memset(memory.host_base(), 0xAA, memory.size());
    glassvm::x86::write_boot_gdt(memory);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt) == 0);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt + 0x08) == 0x00AF'9B00'0000'FFFFull);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt + 0x10) == 0x00CF'9300'0000'FFFFull);
    // Exactly three entries: the byte after them is untouched.
    CHECK(memory.read_object<uint8_t>(layout::kBootGdt + 3 * 8) == 0xAA);
    CHECK(memory.read_object<uint8_t>(layout::kBootGdt - 1) == 0xAA);
}

TEST_CASE("long mode: sregs enable paging, PAE and LME/LMA with the boot GDT", "[long_mode]") {
    using namespace glassvm::x86;
    kvm_sregs initial{};
    initial.apic_base = 0xFEE0'0900;
    initial.cr8 = 0;
    initial.tr.selector = 0x28;
    initial.tr.type = 0xB;
    initial.ldt.unusable = 1;
    initial.interrupt_bitmap[0] = 0x1;

    kvm_sregs sregs = long_mode_sregs(initial, 0x9000);

    CHECK((sregs.cr0 & kCr0Pe) != 0);
    CHECK((sregs.cr0 & kCr0Pg) != 0);
    CHECK((sregs.cr0 & kCr0Wp) != 0);
    CHECK((sregs.cr0 & kCr0Ne) != 0);
    CHECK((sregs.cr0 & (1ull << 30)) == 0);  // CD: caches on
    CHECK((sregs.cr0 & (1ull << 2)) == 0);   // EM: the FPU/SSE is real
    CHECK((sregs.cr4 & kCr4Pae) != 0);
    CHECK((sregs.cr4 & kCr4Osfxsr) != 0);
    CHECK((sregs.efer & kEferLme) != 0);
    CHECK((sregs.efer & kEferLma) != 0);
    CHECK(sregs.cr3 == 0x9000);

    CHECK(sregs.gdt.base == layout::kBootGdt);
    CHECK(sregs.gdt.limit == 3 * 8 - 1);
    CHECK(sregs.idt.limit == 0);

    CHECK(sregs.cs.selector == 0x08);
    CHECK(sregs.cs.l == 1);
    CHECK(sregs.cs.db == 0);
    CHECK(sregs.cs.type == 0xB);
    for (const kvm_segment* segment : {&sregs.ss, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs}) {
        CHECK(segment->selector == 0x10);
        CHECK(segment->type == 0x3);
        CHECK(segment->present == 1);
        CHECK(segment->s == 1);
        CHECK(segment->l == 0);
    }

    // What the VMM did not set is kept.
    CHECK(sregs.apic_base == 0xFEE0'0900);
    CHECK(sregs.tr.selector == 0x28);
    CHECK(sregs.tr.type == 0xB);
    CHECK(sregs.ldt.unusable == 1);
    CHECK(sregs.interrupt_bitmap[0] == 0x1);
}

TEST_CASE("long mode: entry registers follow the glassvm boot protocol", "[long_mode]") {
    kvm_regs regs = glassvm::x86::boot_regs(0x10'0010, layout::kBootInfo);
    CHECK(regs.rip == 0x10'0010);
    CHECK(regs.rdi == glassvm::abi::kBootMagic);
    CHECK(regs.rdi == 0x676c'6173'7376'6d31ull);
    CHECK(regs.rsi == layout::kBootInfo);
    CHECK(regs.rsp == layout::kBootStackTop);
    CHECK(regs.rflags == 2);
    CHECK(regs.rax == 0);
    CHECK(regs.rbx == 0);
    CHECK(regs.rbp == 0);
    CHECK(regs.r15 == 0);
}

namespace {

kvm_cpuid_entry2 leaf(uint32_t function, uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx) {
    kvm_cpuid_entry2 entry{};
    entry.function = function;
    entry.index = index;
    entry.eax = eax;
    entry.ebx = ebx;
    entry.ecx = ecx;
    entry.edx = edx;
    return entry;
}

bool same_entry(const kvm_cpuid_entry2& a, const kvm_cpuid_entry2& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST_CASE("cpuid: the vCPU index becomes the APIC id in leaves 1 and 0xB", "[cpuid]") {
    std::vector<kvm_cpuid_entry2> supported = {
        leaf(0x0, 0, 0x16, 0x756e6547, 0x6c65746e, 0x49656e69),         // "GenuineIntel"
        leaf(0x1, 0, 0x000906EA, 0xFF10'0800, 0x7FFAFBFF, 0xBFEBFBFF),  // APIC id 0xFF from the host
        leaf(0x4, 0, 0x1C004121, 0x01C0003F, 0x3F, 0),
        leaf(0xB, 0, 1, 2, 0x100, 0xEE),
        leaf(0xB, 1, 4, 8, 0x201, 0xEE),
        leaf(0x8000'0001, 0, 0, 0, 0x121, 0x2C100800),
    };

    std::vector<kvm_cpuid_entry2> guest = glassvm::x86::guest_cpuid(supported, 3);

    REQUIRE(guest.size() == supported.size());
    // Leaf 1: EBX[31:24] is the initial APIC id; EBX[23:0] and the other registers are kept.
    CHECK(guest[1].ebx == 0x0310'0800);
    CHECK(guest[1].eax == supported[1].eax);
    CHECK(guest[1].ecx == supported[1].ecx);
    CHECK(guest[1].edx == supported[1].edx);
    // Leaf 0xB: EDX is the x2APIC id, for every subleaf; the rest is kept.
    for (size_t i : {3, 4}) {
        CHECK(guest[i].edx == 3);
        CHECK(guest[i].eax == supported[i].eax);
        CHECK(guest[i].ebx == supported[i].ebx);
        CHECK(guest[i].ecx == supported[i].ecx);
        CHECK(guest[i].index == supported[i].index);
    }
    // Other leaves are untouched.
    for (size_t i : {0, 2, 5}) CHECK(same_entry(guest[i], supported[i]));
}

TEST_CASE("cpuid: vCPU 0 clears a host APIC id", "[cpuid]") {
    std::vector<kvm_cpuid_entry2> guest =
        glassvm::x86::guest_cpuid({leaf(0x1, 0, 0, 0xFF00'1234, 0, 0), leaf(0xB, 0, 0, 0, 0, 0x2A)}, 0);
    CHECK(guest[0].ebx == 0x0000'1234);
    CHECK(guest[1].edx == 0);
}
