// Loading a glassvm-contract kernel and its init module; see glassvm_kernel.hpp.
#include "vmm/boot/glassvm_kernel.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "base/file.hpp"
#include "vmm/loader/boot_info.hpp"
#include "vmm/loader/elf.hpp"
#include "vmm/x86/layout.hpp"

namespace glassvm {

namespace {

// The kernel loads init itself (as it must under PVH boot too); the VMM only checks it is
// an executable the kernel can load, so a bad file fails here, clearly.
void load_init(const GuestMemory& memory, const std::string& path, uint64_t kernel_end, abi::BootInfo& info) {
    std::vector<uint8_t> init = read_file(path, "init program");
    std::string init_name = "init program " + path;
    ElfImage init_image = parse_elf(init, init_name);
    if (init_image.lowest_address() < abi::kKernelRegionEnd || init_image.highest_address() > memory.size())
        throw_bad_input("{}: loads at {:#x}..{:#x}, outside the guest's user memory [{:#x}, {:#x})", init_name,
                        init_image.lowest_address(), init_image.highest_address(), abi::kKernelRegionEnd,
                        memory.size());
    uint64_t lowest = std::max({abi::kKernelRegionEnd, kernel_end, init_image.highest_address()});
    info.init_address = place_module(memory, init, lowest, init_name);
    info.init_size = init.size();
}

}  // namespace

LoadedKernel load_glassvm_kernel(const GuestMemory& memory, const BootFiles& files) {
    std::vector<uint8_t> kernel = read_file(files.kernel_path, "kernel");
    std::string kernel_name = "kernel " + files.kernel_path;
    ElfImage kernel_image = parse_elf(kernel, kernel_name);
    load_elf(memory, kernel, kernel_image, layout::kLowestLoadAddress, kernel_name);

    LoadedKernel loaded;
    loaded.entry = kernel_image.entry;
    loaded.info.version = abi::kBootInfoVersion;
    loaded.info.cpu_count = static_cast<uint32_t>(files.cpu_count);
    loaded.info.memory_bytes = memory.size();
    write_command_line(memory, files.command_line);
    loaded.info.cmdline_address = layout::kCommandLine;
    loaded.info.cmdline_length = files.command_line.size();
    if (files.init_path) load_init(memory, *files.init_path, kernel_image.highest_address(), loaded.info);
    return loaded;
}

}  // namespace glassvm
