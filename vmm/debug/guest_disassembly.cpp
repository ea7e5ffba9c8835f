// disassemble_guest: read count × 15 bytes (the most `count` instructions can take), decode,
// format, and explain a short listing.
#include "vmm/debug/guest_disassembly.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace glassvm {

namespace {

// Why decoding stopped after `decoded_bytes` of the `read` bytes.
std::string why_listing_ends(const GuestBytes& read, size_t decoded_bytes, uint64_t next_address) {
    std::span<const uint8_t> rest(read.bytes.data() + decoded_bytes, read.bytes.size() - decoded_bytes);
    if (rest.size() >= kMaxInstructionLength || read.shortfall.empty())
        return fmt::format("   {:#018x}:  {:02x}  (not a valid instruction)\n", next_address,
                           fmt::join(rest.first(std::min(rest.size(), size_t{8})), " "));
    return fmt::format("   {:#018x}:  cannot read further: {}\n", next_address, read.shortfall);
}

}  // namespace

std::string format_instruction(const Instruction& instruction, bool is_current) {
    std::string bytes = fmt::format("{:02x}", fmt::join(instruction.bytes, " "));
    return fmt::format("{} {:#018x}:  {:<24} {}", is_current ? "=>" : "  ", instruction.address, bytes,
                       instruction.text);
}

std::string disassemble_guest(const GuestMemory& memory, const Translate& translate, GuestAddress address, size_t count,
                              CpuMode mode, std::optional<uint64_t> current) {
    GuestBytes read = read_guest(memory, translate, address, count * kMaxInstructionLength);
    std::vector<Instruction> instructions = Disassembler(mode).disassemble(read.bytes, address.value, count);
    std::string listing;
    size_t decoded_bytes = 0;
    for (const Instruction& instruction : instructions) {
        listing += format_instruction(instruction, current && *current == instruction.address) + "\n";
        decoded_bytes += instruction.bytes.size();
    }
    if (instructions.size() < count) listing += why_listing_ends(read, decoded_bytes, address.value + decoded_bytes);
    return listing;
}

}  // namespace glassvm
