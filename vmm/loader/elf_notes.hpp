// ELF notes (System V gABI, "Note Section"): the PT_NOTE segments of an ELF64 file, and the one
// note a boot loader looks for — Xen's XEN_ELFNOTE_PHYS32_ENTRY, the 32-bit physical entry of
// the PVH boot ABI (xen/include/public/elfnote.h). Pure: bytes in, values out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm {

// One note: its owner ("Xen", "GNU", "Linux"), type, and descriptor bytes (inside the file).
struct ElfNote {
    std::string name;
    uint32_t type = 0;
    std::span<const uint8_t> description;
};

// The owner and type of the PVH entry note.
inline constexpr std::string_view kXenNoteName = "Xen";
inline constexpr uint32_t kXenElfnotePhys32Entry = 18;

// Every note in every PT_NOTE segment of `file`, which parse_elf has already accepted. A note
// running past its segment or the file is BadInput naming `what`.
std::vector<ElfNote> parse_elf_notes(std::span<const uint8_t> file, std::string_view what);

// The PVH entry (a guest-physical address below 4 GiB) from the XEN_ELFNOTE_PHYS32_ENTRY note,
// or nullopt when there is none. Linux and our guest write it as 8 bytes, others as 4; both
// are read. A descriptor of another size, or an entry at or above 4 GiB, is BadInput.
std::optional<uint32_t> find_pvh_entry(std::span<const uint8_t> file, std::string_view what);

}  // namespace glassvm
