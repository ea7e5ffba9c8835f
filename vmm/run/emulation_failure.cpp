// The instruction behind an emulation failure; see emulation_failure.hpp.
#include "vmm/run/emulation_failure.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/disassembler.hpp"
#include "vmm/x86/page_tables.hpp"
#include "vmm/x86/registers.hpp"

namespace glassvm {

namespace {

// KVM's layout for an emulation failure with instruction bytes (kvm_run.emulation_failure in
// <linux/kvm.h>, over the same memory as internal.data): a u64 of flags, then a u32 length and
// up to 15 bytes of the instruction.
std::vector<uint8_t> bytes_from_exit(const InternalErrorExit& exit) {
    constexpr size_t kLengthOffset = 8, kBytesOffset = 12, kMaxBytes = 15;
    if (exit.data_count < 3 || !(exit.data[0] & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) return {};
    auto* raw = reinterpret_cast<const uint8_t*>(exit.data.data());
    uint32_t length;
    std::memcpy(&length, raw + kLengthOffset, sizeof length);
    return std::vector<uint8_t>(raw + kBytesOffset, raw + kBytesOffset + std::min<size_t>(length, kMaxBytes));
}

std::vector<uint8_t> bytes_at_rip(const kvm_regs& regs, const kvm_sregs& sregs, const GuestMemory& memory) {
    Translate translate = [&](uint64_t address) {
        return x86::translate(memory, sregs.cr3, (sregs.cr0 & x86::kCr0Pg) != 0, address);
    };
    uint64_t linear = regs.rip + (cpu_mode(sregs) == CpuMode::Bits64 ? 0 : sregs.cs.base);
    return read_guest(memory, translate, {linear, false}, kMaxInstructionLength).bytes;
}

}  // namespace

std::string describe_emulation_failure(const InternalErrorExit& exit, const kvm_regs& regs, const kvm_sregs& sregs,
                                       const GuestMemory& memory) {
    std::string where = fmt::format("emulation failure at rip {:#x}", regs.rip);
    Disassembler disassembler(cpu_mode(sregs));
    std::vector<uint8_t> bytes = bytes_at_rip(regs, sregs, memory);
    if (bytes.empty()) bytes = bytes_from_exit(exit);
    if (bytes.empty()) return where + " (rip is not mapped to RAM; the instruction cannot be read)";
    std::vector<Instruction> decoded = disassembler.disassemble(bytes, regs.rip, 1);
    if (decoded.empty())
        return where + fmt::format(" (bytes {:02x} are no instruction capstone knows)", fmt::join(bytes, " "));
    return where + ": " + decoded.front().text;
}

}  // namespace glassvm
