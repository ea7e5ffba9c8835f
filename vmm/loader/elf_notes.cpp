// PT_NOTE parsing and the PVH entry note; see elf_notes.hpp.
#include "vmm/loader/elf_notes.hpp"

#include <elf.h>

#include <cstring>

#include "base/error.hpp"

namespace glassvm {

namespace {

constexpr uint64_t kNoteAlignment = 4;  // ELF64 notes are 4-aligned in practice (gABI; Linux, GNU as)

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

// The notes of one PT_NOTE segment: [offset, offset + size) of `file`.
void read_segment_notes(std::span<const uint8_t> file, uint64_t offset, uint64_t size, std::string_view what,
                        std::vector<ElfNote>& notes) {
    if (offset > file.size() || size > file.size() - offset)
        throw_bad_input("{}: note segment at file offset {:#x} runs past the end of the file", what, offset);
    std::span<const uint8_t> segment = file.subspan(offset, size);
    uint64_t position = 0;
    while (segment.size() - position >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr header;
        std::memcpy(&header, segment.data() + position, sizeof header);
        uint64_t name_start = position + sizeof header;
        uint64_t description_start = name_start + align_up(header.n_namesz, kNoteAlignment);
        uint64_t end = description_start + align_up(header.n_descsz, kNoteAlignment);
        if (description_start + header.n_descsz > segment.size())
            throw_bad_input("{}: ELF note at file offset {:#x} runs past its segment", what, offset + position);
        std::string name(reinterpret_cast<const char*>(segment.data() + name_start), header.n_namesz);
        if (!name.empty() && name.back() == '\0') name.pop_back();
        notes.push_back({.name = std::move(name),
                         .type = header.n_type,
                         .description = segment.subspan(description_start, header.n_descsz)});
        position = end;
    }
}

}  // namespace

std::vector<ElfNote> parse_elf_notes(std::span<const uint8_t> file, std::string_view what) {
    Elf64_Ehdr header;
    if (file.size() < sizeof header) throw_bad_input("{}: too short to be an ELF file", what);
    std::memcpy(&header, file.data(), sizeof header);
    std::vector<ElfNote> notes;
    for (size_t i = 0; i < header.e_phnum; ++i) {
        uint64_t at = header.e_phoff + i * sizeof(Elf64_Phdr);
        if (at + sizeof(Elf64_Phdr) > file.size())
            throw_bad_input("{}: program headers run past the end of the file (truncated?)", what);
        Elf64_Phdr program;
        std::memcpy(&program, file.data() + at, sizeof program);
        if (program.p_type == PT_NOTE) read_segment_notes(file, program.p_offset, program.p_filesz, what, notes);
    }
    return notes;
}

std::optional<uint32_t> find_pvh_entry(std::span<const uint8_t> file, std::string_view what) {
    for (const ElfNote& note : parse_elf_notes(file, what)) {
        if (note.name != kXenNoteName || note.type != kXenElfnotePhys32Entry) continue;
        uint64_t entry = 0;
        if (note.description.size() != 4 && note.description.size() != 8)
            throw_bad_input("{}: the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) has {} bytes, not 4 or 8", what,
                            note.description.size());
        std::memcpy(&entry, note.description.data(), note.description.size());
        if (entry >= 0x1'0000'0000)
            throw_bad_input("{}: the PVH entry {:#x} is not a 32-bit physical address", what, entry);
        return static_cast<uint32_t>(entry);
    }
    return std::nullopt;
}

}  // namespace glassvm
