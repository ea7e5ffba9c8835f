// Command line, boot module and BootInfo placement; see boot_info.hpp.
#include "vmm/loader/boot_info.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm {

void write_command_line(const GuestMemory& memory, std::string_view command_line) {
    if (command_line.size() + 1 > layout::kCommandLineMax)
        throw_bad_input("--cmdline: {} bytes is longer than the {} the guest accepts", command_line.size(),
                        layout::kCommandLineMax - 1);
    auto destination = memory.slice(layout::kCommandLine, command_line.size() + 1);
    std::copy(command_line.begin(), command_line.end(), destination.begin());
    destination.back() = 0;
}

uint64_t place_module(const GuestMemory& memory, std::span<const uint8_t> module, uint64_t lowest_allowed,
                      std::string_view what) {
    uint64_t size = module.size();
    uint64_t top = memory.size() & ~(layout::kPageSize - 1);
    uint64_t address = size <= top ? (top - size) & ~(layout::kPageSize - 1) : 0;
    if (size > top || address < lowest_allowed)
        throw_bad_input("{}: {} bytes do not fit in guest RAM above {:#x} (RAM is {} MiB; try a larger --mem)", what,
                        size, lowest_allowed, memory.size() >> 20);
    std::copy(module.begin(), module.end(), memory.slice(address, size).begin());
    return address;
}

uint64_t write_boot_info(const GuestMemory& memory, const abi::BootInfo& info) {
    memory.write_object(layout::kBootInfo, info);
    return layout::kBootInfo;
}

}  // namespace glassvm
