// The capstone handle's life (cs_open / cs_close) and one call of cs_disasm per request.
#include "vmm/x86/disassembler.hpp"

#include <capstone/capstone.h>

#include <utility>

#include "base/error.hpp"

namespace glassvm {

namespace {

cs_mode to_capstone(CpuMode mode) {
    switch (mode) {
        case CpuMode::Bits16:
            return CS_MODE_16;
        case CpuMode::Bits32:
            return CS_MODE_32;
        case CpuMode::Bits64:
            break;
    }
    return CS_MODE_64;
}

void check_capstone(std::string_view operation, cs_err error) {
    if (error != CS_ERR_OK) throw Error(ErrorKind::Internal, fmt::format("{}: {}", operation, cs_strerror(error)));
}

Instruction to_instruction(const cs_insn& instruction) {
    std::string mnemonic = instruction.mnemonic;
    std::string operands = instruction.op_str;
    std::string text = operands.empty() ? mnemonic : fmt::format("{} {}", mnemonic, operands);
    return {instruction.address, std::vector<uint8_t>(instruction.bytes, instruction.bytes + instruction.size),
            std::move(mnemonic), std::move(operands), std::move(text)};
}

// The array cs_disasm allocates, freed however we leave.
struct DecodedInstructions {
    cs_insn* array = nullptr;
    size_t count = 0;
    ~DecodedInstructions() {
        if (array) cs_free(array, count);
    }
};

}  // namespace

Disassembler::Disassembler(CpuMode mode) {
    csh handle = 0;
    check_capstone("cs_open", cs_open(CS_ARCH_X86, to_capstone(mode), &handle));
    cs_err error = cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    if (error != CS_ERR_OK) {
        cs_close(&handle);
        check_capstone("cs_option(CS_OPT_SYNTAX_ATT)", error);
    }
    m_handle = handle;
}

Disassembler::~Disassembler() {
    if (m_handle == 0) return;
    csh handle = m_handle;
    cs_close(&handle);
}

Disassembler::Disassembler(Disassembler&& other) noexcept : m_handle(std::exchange(other.m_handle, 0)) {}

Disassembler& Disassembler::operator=(Disassembler&& other) noexcept {
    std::swap(m_handle, other.m_handle);
    return *this;
}

std::vector<Instruction> Disassembler::disassemble(std::span<const uint8_t> code, uint64_t address,
                                                   size_t max_count) const {
    DecodedInstructions decoded;
    decoded.count = cs_disasm(m_handle, code.data(), code.size(), address, max_count, &decoded.array);
    std::vector<Instruction> instructions;
    instructions.reserve(decoded.count);
    for (size_t i = 0; i < decoded.count; ++i) instructions.push_back(to_instruction(decoded.array[i]));
    return instructions;
}

}  // namespace glassvm
