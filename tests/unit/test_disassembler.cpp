// Unit tests for the stepper's disassembly: capstone on known bytes (AT&T syntax, 64/32/16-bit),
// listings read from guest memory across pages and up to unmapped ones, and finding the
// instruction that caused an exit when rip is already past it.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "vmm/accel/guest_memory.hpp"
#include "vmm/debug/exiting_instruction.hpp"
#include "vmm/debug/guest_disassembly.hpp"
#include "vmm/x86/disassembler.hpp"

using namespace glassvm;

namespace {

std::vector<std::string> texts(const std::vector<Instruction>& instructions) {
    std::vector<std::string> result;
    for (const auto& instruction : instructions) result.push_back(instruction.text);
    return result;
}

// 64 KiB of RAM; virtual page 0x400000 + n maps to the physical page `pages[n]`, nothing else.
struct FakeGuest {
    GuestMemory memory = GuestMemory::allocate(64 * 1024);
    std::vector<uint64_t> pages;
    Translate translate() const {
        return [this](uint64_t address) -> std::optional<uint64_t> {
            uint64_t page = (address - 0x400000) / 4096;
            if (address < 0x400000 || page >= pages.size()) return std::nullopt;
            return pages[page] + address % 4096;
        };
    }
    void put(uint64_t physical, std::vector<uint8_t> bytes) const {
        std::memcpy(memory.host_base() + physical, bytes.data(), bytes.size());
    }
};

}  // namespace

TEST_CASE("disassembler: the test guests' instructions in AT&T syntax", "[disassembler]") {
    // exit_status.S: movb $7, %al; outb %al, $0xf4; hlt
    std::vector<uint8_t> code = {0xb0, 0x07, 0xe6, 0xf4, 0xf4};
    auto instructions = Disassembler().disassemble(code, 0x100000, 10);
    CHECK(texts(instructions) == std::vector<std::string>{"movb $7, %al", "outb %al, $0xf4", "hlt"});
    REQUIRE(instructions.size() == 3);
    CHECK(instructions[1].address == 0x100002);
    CHECK(instructions[1].bytes == std::vector<uint8_t>{0xe6, 0xf4});
    CHECK(instructions[1].mnemonic == "outb");
    CHECK(instructions[1].operands == "%al, $0xf4");
    CHECK(instructions[2].operands.empty());
}

TEST_CASE("disassembler: memory operands string I/O and max_count", "[disassembler]") {
    std::vector<uint8_t> code = {0xc7, 0x03, 0x78, 0x56, 0x34, 0x12,  // movl $0x12345678, (%rbx)
                                 0xf3, 0x6e,                          // rep outsb
                                 0xee, 0xec};                         // out %al,%dx; in %dx,%al
    CHECK(texts(Disassembler().disassemble(code, 0, 10)) == std::vector<std::string>{"movl $0x12345678, (%rbx)",
                                                                                     "rep outsb (%rsi), %dx",
                                                                                     "outb %al, %dx", "inb %dx, %al"});
    CHECK(Disassembler().disassemble(code, 0, 2).size() == 2);
}

TEST_CASE("disassembler: stops at invalid or truncated bytes", "[disassembler]") {
    std::vector<uint8_t> invalid = {0x90, 0xff, 0xff};  // nop, then no instruction (ff /7)
    CHECK(texts(Disassembler().disassemble(invalid, 0x1000, 5)) == std::vector<std::string>{"nop"});
    std::vector<uint8_t> truncated = {0xc7, 0x03, 0x78};  // movl $imm32, (%rbx) cut short
    CHECK(Disassembler().disassemble(truncated, 0x1000, 5).empty());
    CHECK(Disassembler().disassemble({}, 0x1000, 5).empty());
}

TEST_CASE("disassembler: 32-bit and 16-bit code decode differently", "[disassembler]") {
    std::vector<uint8_t> code = {0xb8, 0x01, 0x00, 0x00, 0x00};
    CHECK(texts(Disassembler(CpuMode::Bits32).disassemble(code, 0, 1)) == std::vector<std::string>{"movl $1, %eax"});
    CHECK(texts(Disassembler(CpuMode::Bits16).disassemble(code, 0, 1)) == std::vector<std::string>{"movw $1, %ax"});
    Disassembler moved = Disassembler(CpuMode::Bits32);
    CHECK(moved.disassemble(code, 0, 1).size() == 1);
}

TEST_CASE("guest disassembly: an instruction straddling two pages that are apart in RAM", "[disassembler]") {
    FakeGuest guest;
    guest.pages = {0x3000, 0x1000};                     // virtual 0x400000 → physical 0x3000, 0x401000 → 0x1000
    guest.put(0x3000 + 4094, {0x90, 0xb8});             // nop; mov $imm32, %eax begins…
    guest.put(0x1000, {0x2a, 0x00, 0x00, 0x00, 0xf4});  // …and ends on the next page; hlt
    std::string listing =
        disassemble_guest(guest.memory, guest.translate(), {0x400ffe, false}, 3, CpuMode::Bits64, 0x400fff);
    CHECK_THAT(listing, Catch::Contains("   0x0000000000400ffe:  90") && Catch::Contains("nop"));
    CHECK_THAT(listing,
               Catch::Contains("=> 0x0000000000400fff:  b8 2a 00 00 00") && Catch::Contains("movl $0x2a, %eax"));
    CHECK_THAT(listing, Catch::Contains("0x0000000000401004:  f4") && Catch::Contains("hlt"));
}

TEST_CASE("guest disassembly: an unmapped next page ends the listing with the reason", "[disassembler]") {
    FakeGuest guest;
    guest.pages = {0x2000};
    guest.put(0x2000 + 4093, {0x90, 0x90, 0xb8});  // nop; nop; the start of a mov
    std::string listing =
        disassemble_guest(guest.memory, guest.translate(), {0x400ffd, false}, 4, CpuMode::Bits64, std::nullopt);
    CHECK_THAT(listing, Catch::Contains("0x0000000000400fff:  cannot read further: 0x401000 is not mapped"));
    CHECK_THAT(disassemble_guest(guest.memory, guest.translate(), {0x900000, false}, 1, CpuMode::Bits64, {}),
               Catch::Contains("0x900000 is not mapped"));
}

TEST_CASE("guest disassembly: invalid bytes end the listing and are shown", "[disassembler]") {
    FakeGuest guest;
    guest.put(0x5000, std::vector<uint8_t>(32, 0xff));
    guest.put(0x5000, {0x90});
    std::string listing = disassemble_guest(guest.memory, guest.translate(), {0x5000, true}, 4, CpuMode::Bits64, {});
    CHECK_THAT(listing, Catch::Contains("nop") && Catch::Contains("0x0000000000005001:  ff ff") &&
                            Catch::Contains("(not a valid instruction)"));
}

TEST_CASE("exiting instruction: an OUT that rip has moved past is found by its port", "[disassembler]") {
    FakeGuest guest;
    guest.pages = {0x1000};
    guest.put(0x1000, {0xb0, 0x07, 0xe6, 0xf4, 0xf4});  // movb $7,%al; outb %al,$0xf4; hlt
    std::array<uint8_t, 1> data = {7};
    VmExit exit = PortIoExit{.port = 0xf4, .size = 1, .is_write = true, .count = 1, .data = data};
    kvm_regs regs{};
    regs.rip = 0x400004;
    auto cause = find_exiting_instruction(guest.memory, guest.translate(), exit, regs, CpuMode::Bits64);
    REQUIRE(cause);
    CHECK(cause->address == 0x400002);
    CHECK(cause->text == "outb %al, $0xf4");

    VmExit other_port = PortIoExit{.port = 0x3f8, .size = 1, .is_write = true, .count = 1, .data = data};
    CHECK_FALSE(find_exiting_instruction(guest.memory, guest.translate(), other_port, regs, CpuMode::Bits64));
}

TEST_CASE("exiting instruction: none when rip is still at the instruction", "[disassembler]") {
    FakeGuest guest;
    guest.pages = {0x1000};
    guest.put(0x1000, {0x89, 0xf2, 0xec, 0x90});  // mov %esi,%edx; in %dx,%al; nop
    std::array<uint8_t, 1> data = {0};
    VmExit in = PortIoExit{.port = 0x3fd, .size = 1, .is_write = false, .count = 1, .data = data};
    kvm_regs regs{};
    regs.rip = 0x400002;
    regs.rdx = 0x3fd;
    CHECK_FALSE(find_exiting_instruction(guest.memory, guest.translate(), in, regs, CpuMode::Bits64));
}

TEST_CASE("exiting instruction: an OUT through dx with a prefix-like byte before it", "[disassembler]") {
    FakeGuest guest;
    guest.pages = {0x1000};
    guest.put(0x1000, {0x89, 0xf2, 0xee, 0xb8, 0x01, 0x00, 0x00, 0x00});  // mov %esi,%edx; out; mov $1,%eax
    std::array<uint8_t, 1> data = {0x80};
    VmExit exit = PortIoExit{.port = 0x3fb, .size = 1, .is_write = true, .count = 1, .data = data};
    kvm_regs regs{};
    regs.rip = 0x400003;
    regs.rdx = 0x3fb;
    auto cause = find_exiting_instruction(guest.memory, guest.translate(), exit, regs, CpuMode::Bits64);
    REQUIRE(cause);  // "f2 ee" also reads as an OUT; the shorter reading wins
    CHECK(cause->address == 0x400002);
    CHECK(cause->text == "outb %al, %dx");
}

TEST_CASE("exiting instruction: an MMIO store before a load at rip", "[disassembler]") {
    FakeGuest guest;
    guest.pages = {0x1000};
    guest.put(0x1000, {0xc7, 0x03, 0x78, 0x56, 0x34, 0x12, 0x8b, 0x03});  // movl $..,(%rbx); movl (%rbx),%eax
    std::array<uint8_t, 4> data = {0x78, 0x56, 0x34, 0x12};
    kvm_regs regs{};
    regs.rip = 0x400006;
    VmExit store = MmioExit{.address = 0xe0000000, .is_write = true, .data = data};
    auto cause = find_exiting_instruction(guest.memory, guest.translate(), store, regs, CpuMode::Bits64);
    REQUIRE(cause);
    CHECK(cause->text == "movl $0x12345678, (%rbx)");
    VmExit load = MmioExit{.address = 0xe0000000, .is_write = false, .data = data};
    CHECK_FALSE(find_exiting_instruction(guest.memory, guest.translate(), load, regs, CpuMode::Bits64));
    CHECK_FALSE(find_exiting_instruction(guest.memory, guest.translate(), ShutdownExit{}, regs, CpuMode::Bits64));
}

TEST_CASE("exiting instruction: a HLT just before rip", "[disassembler]") {
    FakeGuest guest;
    guest.pages = {0x1000};
    guest.put(0x1000, {0xfa, 0xf4, 0x00, 0x00});  // cli; hlt; then zeros
    kvm_regs regs{};
    regs.rip = 0x400002;
    auto cause = find_exiting_instruction(guest.memory, guest.translate(), HaltExit{}, regs, CpuMode::Bits64);
    REQUIRE(cause);
    CHECK(cause->address == 0x400001);
    CHECK(cause->text == "hlt");
    regs.rip = 0x400001;  // a host that leaves rip at the HLT
    CHECK_FALSE(find_exiting_instruction(guest.memory, guest.translate(), HaltExit{}, regs, CpuMode::Bits64));
}
