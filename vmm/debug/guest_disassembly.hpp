// Disassembling guest code where it lies in guest memory: read the bytes (through the guest's
// page tables for a virtual address, page by page), decode them, and say why a listing ended
// early — an unmapped page, the end of RAM, or bytes that are no instruction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "vmm/x86/disassembler.hpp"
#include "vmm/x86/page_tables.hpp"

namespace glassvm {

// A listing of up to `count` instructions at `address`, one per line:
// "=> 0x0000000000100002:  e6 f4                  outb %al, $0xf4"; the line at `current`
// (rip) is marked with "=>". An unreadable or undecodable rest ends the listing with a line
// saying why.
std::string disassemble_guest(const GuestMemory& memory, const Translate& translate, GuestAddress address, size_t count,
                              CpuMode mode, std::optional<uint64_t> current);

// One line of such a listing, without its newline.
std::string format_instruction(const Instruction& instruction, bool is_current);

}  // namespace glassvm
