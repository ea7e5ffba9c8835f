// Unit tests for naming the instruction behind an emulation failure: from the bytes KVM reports
// with the exit, or read at rip through the guest's page tables when it reports none.
#include <catch2/catch.hpp>

#include <cstring>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/run/emulation_failure.hpp"

using namespace glassvm;

namespace {

constexpr uint8_t kCmpxchg16b[] = {0xf0, 0x48, 0x0f, 0xc7, 0x0e};  // lock cmpxchg16b (%rsi)

kvm_sregs long_mode() {
    kvm_sregs sregs{};
    sregs.cr0 = 0x8000'0011;  // PE, ET, PG
    sregs.efer = 0x500;       // LME, LMA
    sregs.cs.l = 1;
    sregs.cr3 = 0x9000;
    return sregs;
}

// A 4-level map of virtual 0xffffffff81000000 → physical 0x200000 with a 2 MiB page.
void map_kernel_text(const GuestMemory& memory) {
    uint64_t virtual_address = 0xffff'ffff'8100'0000ull;
    memory.write_object<uint64_t>(0x9000 + ((virtual_address >> 39) & 0x1ff) * 8, 0xa000 | 3);
    memory.write_object<uint64_t>(0xa000 + ((virtual_address >> 30) & 0x1ff) * 8, 0xb000 | 3);
    memory.write_object<uint64_t>(0xb000 + ((virtual_address >> 21) & 0x1ff) * 8, 0x200000 | 0x83);
}

}  // namespace

TEST_CASE("emulation failure: the instruction bytes KVM reports are decoded", "[endings]") {
    GuestMemory memory = GuestMemory::allocate(4 << 20);
    InternalErrorExit exit{.suberror = KVM_INTERNAL_ERROR_EMULATION, .data_count = 4, .data = {}};
    exit.data[0] = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
    auto* raw = reinterpret_cast<uint8_t*>(exit.data.data());
    uint32_t length = sizeof kCmpxchg16b;
    std::memcpy(raw + 8, &length, 4);
    std::memcpy(raw + 12, kCmpxchg16b, sizeof kCmpxchg16b);
    kvm_regs regs{};
    regs.rip = 0xffff'ffff'8123'4567ull;  // not mapped: only KVM's bytes can tell
    CHECK(describe_emulation_failure(exit, regs, long_mode(), memory) ==
          "emulation failure at rip 0xffffffff81234567: lock cmpxchg16b (%rsi)");
}

TEST_CASE("emulation failure: without KVM's bytes, rip is read through a Linux-style page table", "[endings]") {
    GuestMemory memory = GuestMemory::allocate(4 << 20);
    map_kernel_text(memory);
    std::memcpy(memory.host_base() + 0x200000 + 0x1234, kCmpxchg16b, sizeof kCmpxchg16b);
    InternalErrorExit exit{.suberror = KVM_INTERNAL_ERROR_EMULATION, .data_count = 0, .data = {}};
    kvm_regs regs{};
    regs.rip = 0xffff'ffff'8100'1234ull;
    CHECK(describe_emulation_failure(exit, regs, long_mode(), memory) ==
          "emulation failure at rip 0xffffffff81001234: lock cmpxchg16b (%rsi)");
    regs.rip = 0xffff'ffff'a000'0000ull;
    CHECK(describe_emulation_failure(exit, regs, long_mode(), memory) ==
          "emulation failure at rip 0xffffffffa0000000 (rip is not mapped to RAM; the instruction cannot be read)");
}
