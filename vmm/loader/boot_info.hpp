// Writing what the kernel reads at boot into guest RAM: the command line, the init module
// and the BootInfo block that points at both (abi/glassvm/abi.hpp). No ioctls here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <glassvm/abi.hpp>

#include "vmm/accel/guest_memory.hpp"

namespace glassvm {

// Copies `command_line` (NUL-terminated) to layout::kCommandLine; too long is BadInput.
void write_command_line(const GuestMemory& memory, std::string_view command_line);

// Places a boot module page-aligned at the top of RAM and returns its guest-physical address.
// It must stay above `lowest_allowed` (the end of the kernel and the user region start), or it
// is BadInput naming `what`.
uint64_t place_module(const GuestMemory& memory, std::span<const uint8_t> module, uint64_t lowest_allowed,
                      std::string_view what);

// Writes `info` at layout::kBootInfo and returns that address.
uint64_t write_boot_info(const GuestMemory& memory, const abi::BootInfo& info);

}  // namespace glassvm
