// The PVH boot path's parts, shared by `--boot pvh` (glassvm's guest or any PVH kernel) and
// `--boot linux` with an ELF vmlinux (Linux's PVH entry, CONFIG_PVH).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vmm/boot/boot_method.hpp"
#include "vmm/loader/elf.hpp"

namespace glassvm {

// An ELF kernel with a PVH entry note, read and checked.
struct PvhKernel {
    std::vector<uint8_t> file;
    std::string name;  // "kernel PATH", for messages
    ElfImage image;
    uint32_t entry = 0;  // XEN_ELFNOTE_PHYS32_ENTRY
};

// Parses `file` as an ELF64 kernel and finds its PVH entry; an ELF without the note is BadInput
// ending with `without_note_advice`.
PvhKernel parse_pvh_kernel(std::vector<uint8_t> file, std::string name, std::string_view without_note_advice);

// The first (and only) boot module: its file and what it is to the kernel.
enum class PvhModuleRole {
    InitProgram,
    Initrd
};
struct PvhModuleFile {
    std::string path;
    PvhModuleRole role;
};

std::unique_ptr<BootMethod> make_pvh_boot_for(PvhKernel kernel, std::optional<PvhModuleFile> module,
                                              std::string command_line);

}  // namespace glassvm
