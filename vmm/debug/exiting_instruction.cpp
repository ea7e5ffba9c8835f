// find_exiting_instruction: decode the instruction at rip; if it does not match the exit, try
// each start from rip-1 back to rip-15 for one instruction that ends at rip and matches.
#include "vmm/debug/exiting_instruction.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <string_view>

namespace glassvm {

namespace {

constexpr uint64_t kPageSize = 4096;
constexpr size_t npos = std::string_view::npos;

using Matches = std::function<bool(const Instruction&)>;

// "rep outsb" → "outsb".
std::string_view base_mnemonic(const Instruction& instruction) {
    std::string_view mnemonic = instruction.mnemonic;
    size_t space = mnemonic.rfind(' ');
    return space == std::string_view::npos ? mnemonic : mnemonic.substr(space + 1);
}

bool is_port_instruction(std::string_view mnemonic, bool is_write) {
    std::string_view prefix = is_write ? "out" : "in";
    if (!mnemonic.starts_with(prefix)) return false;
    std::string_view suffix = mnemonic.substr(prefix.size());  // "", "b", "w", "l", "sb", "sw", "sl", "sd"
    return suffix.size() <= 2 && suffix.find_first_not_of("bwlsd") == std::string_view::npos &&
           (suffix.size() < 2 || suffix[0] == 's');
}

// The port an IN/OUT names: %dx, or an immediate ("$0xf4").
std::optional<uint16_t> named_port(const Instruction& instruction, const kvm_regs& regs) {
    std::string_view operands = instruction.operands;
    if (operands.find("%dx") != std::string_view::npos) return static_cast<uint16_t>(regs.rdx);
    size_t at = operands.find("$0x");
    if (at == std::string_view::npos) return std::nullopt;
    unsigned port = 0;
    std::from_chars(operands.data() + at + 3, operands.data() + operands.size(), port, 16);
    return static_cast<uint16_t>(port);
}

// "0x10(%rbx,%rcx,4)" of "%eax, 0x10(%rbx,%rcx,4)": after the last comma outside parentheses.
std::string_view last_operand(const Instruction& instruction) {
    std::string_view operands = instruction.operands;
    int depth = 0;
    for (size_t i = operands.size(); i-- > 0;) {
        if (operands[i] == ')') ++depth;
        if (operands[i] == '(') --depth;
        if (operands[i] == ',' && depth == 0) return operands.substr(i + 1);
    }
    return operands;
}

Matches matcher_for(const VmExit& exit, const kvm_regs& regs) {
    if (auto* io = std::get_if<PortIoExit>(&exit)) {
        return [port = io->port, is_write = io->is_write, &regs](const Instruction& instruction) {
            return is_port_instruction(base_mnemonic(instruction), is_write) && named_port(instruction, regs) == port;
        };
    }
    if (auto* mmio = std::get_if<MmioExit>(&exit)) {
        // A store's memory operand is its destination, the last operand in AT&T syntax.
        if (mmio->is_write)
            return [](const Instruction& instruction) { return last_operand(instruction).find('(') != npos; };
        return [](const Instruction& instruction) { return instruction.operands.find('(') != npos; };
    }
    if (std::holds_alternative<HaltExit>(exit))
        return [](const Instruction& instruction) { return instruction.mnemonic == "hlt"; };
    return {};
}

bool ends_with(const std::vector<uint8_t>& bytes, const std::vector<uint8_t>& tail) {
    return bytes.size() >= tail.size() && std::equal(tail.begin(), tail.end(), bytes.end() - tail.size());
}

// The bytes just before rip: up to 15, fewer when the page before rip's is not readable.
GuestBytes bytes_before(const GuestMemory& memory, const Translate& translate, uint64_t rip) {
    uint64_t start = rip >= kMaxInstructionLength ? rip - kMaxInstructionLength : 0;
    GuestBytes read = read_guest(memory, translate, {start, false}, rip - start);
    if (read.bytes.size() == rip - start) return read;
    uint64_t page_start = rip - rip % kPageSize;
    if (page_start <= start) return {};
    return read_guest(memory, translate, {page_start, false}, rip - page_start);
}

}  // namespace

std::optional<Instruction> find_exiting_instruction(const GuestMemory& memory, const Translate& translate,
                                                    const VmExit& exit, const kvm_regs& regs, CpuMode mode) {
    Matches matches = matcher_for(exit, regs);
    if (!matches) return std::nullopt;
    Disassembler disassembler(mode);
    GuestBytes at_rip = read_guest(memory, translate, {regs.rip, false}, kMaxInstructionLength);
    auto current = disassembler.disassemble(at_rip.bytes, regs.rip, 1);
    if (!current.empty() && matches(current.front())) return std::nullopt;

    GuestBytes before = bytes_before(memory, translate, regs.rip);
    std::optional<Instruction> found;
    for (size_t length = 1; length <= before.bytes.size(); ++length) {
        std::span<const uint8_t> code(before.bytes.data() + before.bytes.size() - length, length);
        auto candidate = disassembler.disassemble(code, regs.rip - length, 1);
        if (candidate.empty() || candidate.front().bytes.size() != length || !matches(candidate.front())) continue;
        if (!found) {
            found = std::move(candidate.front());
        } else if (!ends_with(candidate.front().bytes, found->bytes)) {
            return std::nullopt;  // two different readings: do not guess
        }  // else the same instruction read with a byte before it as a prefix (`f2 ee`): keep the shorter
    }
    return found;
}

}  // namespace glassvm
