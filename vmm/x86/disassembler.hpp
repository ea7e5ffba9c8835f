// x86 machine code → text, for the exit stepper: a small owner of a capstone handle. We use
// AT&T syntax (`outb %al, $0xf4`), the syntax the guest kernel and test guests are written in
// (GNU as) and that gdb and objdump print by default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace glassvm {

// The code size the CPU is in: 64-bit long mode, 32-bit protected mode (PVH entry,
// compatibility mode) or 16-bit real mode (an AP waiting for its SIPI).
enum class CpuMode {
    Bits16,
    Bits32,
    Bits64
};

struct Instruction {
    uint64_t address;
    std::vector<uint8_t> bytes;
    std::string mnemonic;  // "outb"; with its prefix, as in "rep outsb"
    std::string operands;  // "%al, $0xf4"; may be empty
    std::string text;      // "outb %al, $0xf4"
};

class Disassembler {
public:
    // Throws an Internal Error if capstone cannot be opened.
    explicit Disassembler(CpuMode mode = CpuMode::Bits64);
    ~Disassembler();
    Disassembler(Disassembler&& other) noexcept;
    Disassembler& operator=(Disassembler&& other) noexcept;
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    // Up to `max_count` instructions from `code`, which lies at `address`. Stops early at the
    // end of `code` or at bytes that are no valid instruction; returns what it decoded.
    std::vector<Instruction> disassemble(std::span<const uint8_t> code, uint64_t address, size_t max_count) const;

private:
    size_t m_handle = 0;  // capstone's csh; 0 when moved from
};

// The longest x86 instruction (Intel SDM vol. 2A, 2.3.11): read this much to decode one.
inline constexpr size_t kMaxInstructionLength = 15;

}  // namespace glassvm
