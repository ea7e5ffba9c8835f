// ELF64 validation and loading; see elf.hpp.
#include "vmm/loader/elf.hpp"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "base/error.hpp"

namespace glassvm {

namespace {

// a + b without wrapping, or false.
bool checked_add(uint64_t a, uint64_t b, uint64_t& sum) { return !__builtin_add_overflow(a, b, &sum); }

bool range_inside(uint64_t offset, uint64_t length, uint64_t limit) {
    uint64_t end;
    return checked_add(offset, length, end) && end <= limit;
}

// The architectures a wrong kernel is most likely built for (elf.h's EM_ values).
const char* machine_name(uint16_t machine) {
    switch (machine) {
        case EM_386:
            return "i386";
        case EM_ARM:
            return "32-bit ARM";
        case EM_AARCH64:
            return "AArch64";
        case EM_RISCV:
            return "RISC-V";
        case EM_PPC64:
            return "64-bit PowerPC";
        case EM_S390:
            return "s390";
        default:
            return "another machine";
    }
}

Elf64_Ehdr read_header(std::span<const uint8_t> file, std::string_view what) {
    if (file.size() < sizeof(Elf64_Ehdr))
        throw_bad_input("{}: too short to be an ELF file ({} bytes)", what, file.size());
    Elf64_Ehdr header;
    std::memcpy(&header, file.data(), sizeof header);
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) throw_bad_input("{}: not an ELF file (bad magic)", what);
    if (header.e_ident[EI_CLASS] != ELFCLASS64)
        throw_bad_input("{}: a 32-bit ELF file; glassvm boots only ELF64", what);
    if (header.e_ident[EI_DATA] != ELFDATA2LSB)
        throw_bad_input("{}: a big-endian ELF file; x86-64 is little-endian", what);
    if (header.e_machine != EM_X86_64)
        throw_bad_input("{}: built for {} (ELF machine {}), not x86-64 ({})", what, machine_name(header.e_machine),
                        header.e_machine, EM_X86_64);
    if (header.e_type != ET_EXEC)
        throw_bad_input("{}: not an executable (ELF type {}; want ET_EXEC, linked at a fixed address)", what,
                        header.e_type);
    if (header.e_entry == 0) throw_bad_input("{}: has no entry point", what);
    if (header.e_phnum == 0) throw_bad_input("{}: has no program headers", what);
    if (header.e_phentsize != sizeof(Elf64_Phdr))
        throw_bad_input("{}: program header size {} is not {}", what, header.e_phentsize, sizeof(Elf64_Phdr));
    if (!range_inside(header.e_phoff, uint64_t{header.e_phnum} * sizeof(Elf64_Phdr), file.size()))
        throw_bad_input("{}: program headers run past the end of the file (truncated?)", what);
    return header;
}

ElfSegment read_segment(std::span<const uint8_t> file, const Elf64_Phdr& p, std::string_view what, size_t index) {
    if (!range_inside(p.p_offset, p.p_filesz, file.size()))
        throw_bad_input(
            "{}: segment {} ({} bytes at file offset {:#x}) runs past the end of the "
            "file (truncated?)",
            what, index, p.p_filesz, p.p_offset);
    if (p.p_filesz > p.p_memsz)
        throw_bad_input("{}: segment {} has more file bytes ({}) than memory bytes ({})", what, index, p.p_filesz,
                        p.p_memsz);
    uint64_t end;
    if (!checked_add(p.p_paddr, p.p_memsz, end) || !checked_add(p.p_vaddr, p.p_memsz, end))
        throw_bad_input("{}: segment {} wraps around the address space", what, index);
    return {.file_offset = p.p_offset,
            .file_size = p.p_filesz,
            .memory_size = p.p_memsz,
            .load_address = p.p_paddr,
            .virtual_address = p.p_vaddr,
            .executable = (p.p_flags & PF_X) != 0};
}

}  // namespace

uint64_t ElfImage::lowest_address() const { return segments.front().load_address; }

uint64_t ElfImage::highest_address() const {
    uint64_t highest = 0;
    for (const auto& s : segments) highest = std::max(highest, s.load_address + s.memory_size);
    return highest;
}

ElfImage parse_elf(std::span<const uint8_t> file, std::string_view what) {
    Elf64_Ehdr header = read_header(file, what);
    ElfImage image{.entry = header.e_entry, .segments = {}};
    for (size_t i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr p;
        std::memcpy(&p, file.data() + header.e_phoff + i * sizeof p, sizeof p);
        if (p.p_type == PT_LOAD && p.p_memsz > 0) image.segments.push_back(read_segment(file, p, what, i));
    }
    if (image.segments.empty()) throw_bad_input("{}: has no loadable (PT_LOAD) segments", what);

    std::sort(image.segments.begin(), image.segments.end(),
              [](const auto& a, const auto& b) { return a.load_address < b.load_address; });
    for (size_t i = 1; i < image.segments.size(); ++i) {
        const auto& previous = image.segments[i - 1];
        if (previous.load_address + previous.memory_size > image.segments[i].load_address)
            throw_bad_input("{}: loadable segments overlap at {:#x}", what, image.segments[i].load_address);
    }
    // A Linux vmlinux gives its entry as a physical address (startup_64 before paging is its
    // own), so either address space of an executable segment will do.
    auto inside = [](uint64_t address, uint64_t start, uint64_t size) {
        return address >= start && address - start < size;
    };
    bool entry_is_code = std::any_of(image.segments.begin(), image.segments.end(), [&](const auto& s) {
        return s.executable && (inside(header.e_entry, s.virtual_address, s.memory_size) ||
                                inside(header.e_entry, s.load_address, s.memory_size));
    });
    if (!entry_is_code)
        throw_bad_input("{}: entry point {:#x} is not inside an executable segment", what, header.e_entry);
    return image;
}

void load_elf(const GuestMemory& memory, std::span<const uint8_t> file, const ElfImage& image, uint64_t lowest_allowed,
              std::string_view what) {
    for (const auto& segment : image.segments) {
        if (segment.load_address < lowest_allowed || !memory.contains(segment.load_address, segment.memory_size))
            throw_bad_input("{}: segment at {:#x}..{:#x} does not fit in guest RAM [{:#x}, {:#x})", what,
                            segment.load_address, segment.load_address + segment.memory_size, lowest_allowed,
                            memory.size());
    }
    for (const auto& segment : image.segments) {
        auto destination = memory.slice(segment.load_address, segment.memory_size);
        std::memcpy(destination.data(), file.data() + segment.file_offset, segment.file_size);
        memory.zero(segment.load_address + segment.file_size, segment.memory_size - segment.file_size);
    }
}

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
