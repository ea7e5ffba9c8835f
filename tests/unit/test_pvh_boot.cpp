// Unit tests for the PVH boot path's pure parts: the ELF note parser and the PVH entry note, the
// e820 map, the hvm_start_info layout (offsets as Xen's start_info.h defines them), and the
// 32-bit protected-mode entry state.
#include <catch2/catch.hpp>

#include <elf.h>

#include <cstring>
#include <vector>

#include "error_matchers.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/loader/e820.hpp"
#include "vmm/loader/elf.hpp"
#include "vmm/loader/pvh_start_info.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/gdt.hpp"
#include "vmm/x86/layout.hpp"

using namespace glassvm;
using glassvm::test::IsBadInput;

namespace {

// An ELF64 file with one PT_NOTE segment holding `notes` (already encoded) at file offset 0x100.
std::vector<uint8_t> elf_with_notes(const std::vector<uint8_t>& notes) {
    std::vector<uint8_t> file(0x100 + notes.size());
    Elf64_Ehdr header{};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_phoff = sizeof header;
    header.e_phnum = 1;
    header.e_phentsize = sizeof(Elf64_Phdr);
    std::memcpy(file.data(), &header, sizeof header);
    Elf64_Phdr note{};
    note.p_type = PT_NOTE;
    note.p_offset = 0x100;
    note.p_filesz = notes.size();
    std::memcpy(file.data() + sizeof header, &note, sizeof note);
    std::memcpy(file.data() + 0x100, notes.data(), notes.size());
    return file;
}

// One note: header, name padded to 4, descriptor padded to 4.
void append_note(std::vector<uint8_t>& out, std::string_view name, uint32_t type, std::vector<uint8_t> description) {
    Elf64_Nhdr header{static_cast<uint32_t>(name.size() + 1), static_cast<uint32_t>(description.size()), type};
    auto* raw = reinterpret_cast<const uint8_t*>(&header);
    out.insert(out.end(), raw, raw + sizeof header);
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(0);
    while (out.size() % 4) out.push_back(0);
    out.insert(out.end(), description.begin(), description.end());
    while (out.size() % 4) out.push_back(0);
}

std::vector<uint8_t> little_endian(uint64_t value, size_t size) {
    std::vector<uint8_t> bytes(size);
    std::memcpy(bytes.data(), &value, size);
    return bytes;
}

}  // namespace

TEST_CASE("elf notes: every note of a PT_NOTE segment is listed with its owner and type", "[pvh]") {
    std::vector<uint8_t> notes;
    append_note(notes, "GNU", 3, {1, 2, 3, 4, 5});
    append_note(notes, "Xen", kXenElfnotePhys32Entry, little_endian(0x100'0850, 8));
    std::vector<uint8_t> file = elf_with_notes(notes);
    auto parsed = parse_elf_notes(file, "k");
    REQUIRE(parsed.size() == 2);
    CHECK(parsed[0].name == "GNU");
    CHECK(parsed[0].type == 3);
    CHECK(parsed[0].description.size() == 5);
    CHECK(parsed[1].name == "Xen");
    CHECK(parsed[1].type == 18);
}

TEST_CASE("elf notes: the PVH entry is read from an 8-byte or a 4-byte note", "[pvh]") {
    for (size_t size : {8u, 4u}) {
        std::vector<uint8_t> notes;
        append_note(notes, "Xen", 5, little_endian(0xdead, 8));  // another Xen note: not the entry
        append_note(notes, "Xen", kXenElfnotePhys32Entry, little_endian(0x100'0850, size));
        CHECK(find_pvh_entry(elf_with_notes(notes), "k") == 0x100'0850u);
    }
}

TEST_CASE("elf notes: no PVH note, a malformed one, or one past 4 GiB", "[pvh]") {
    std::vector<uint8_t> other;
    append_note(other, "Linux", kXenElfnotePhys32Entry, little_endian(0x1000, 4));  // right type, wrong owner
    CHECK_FALSE(find_pvh_entry(elf_with_notes(other), "k").has_value());

    std::vector<uint8_t> odd;
    append_note(odd, "Xen", kXenElfnotePhys32Entry, little_endian(0x1000, 2));
    CHECK_THROWS_MATCHES(find_pvh_entry(elf_with_notes(odd), "k"), Error, IsBadInput("has 2 bytes, not 4 or 8"));

    std::vector<uint8_t> high;
    append_note(high, "Xen", kXenElfnotePhys32Entry, little_endian(0x1'0000'0000, 8));
    CHECK_THROWS_MATCHES(find_pvh_entry(elf_with_notes(high), "k"), Error,
                         IsBadInput("is not a 32-bit physical address"));

    std::vector<uint8_t> cut;
    append_note(cut, "Xen", kXenElfnotePhys32Entry, little_endian(0x1000, 8));
    std::vector<uint8_t> file = elf_with_notes(cut);
    Elf64_Phdr note;
    std::memcpy(&note, file.data() + sizeof(Elf64_Ehdr), sizeof note);
    note.p_filesz -= 4;  // the descriptor now runs past its segment
    std::memcpy(file.data() + sizeof(Elf64_Ehdr), &note, sizeof note);
    CHECK_THROWS_MATCHES(find_pvh_entry(file, "k"), Error, IsBadInput("runs past its segment"));
}

TEST_CASE("e820: conventional memory, the reserved BIOS window, then RAM from 1 MiB", "[e820]") {
    auto map = build_e820_map(256ull << 20);
    REQUIRE(map.size() == 3);
    CHECK(map[0] == E820Entry{0, 0x9fc00, E820Type::Ram});
    CHECK(map[1] == E820Entry{0x9fc00, 0x100000 - 0x9fc00, E820Type::Reserved});
    CHECK(map[2] == E820Entry{0x100000, (256ull << 20) - 0x100000, E820Type::Ram});
}

TEST_CASE("e820: RAM stops below the MMIO hole", "[e820]") {
    auto map = build_e820_map(4ull << 30);
    CHECK(map.back().address + map.back().size == abi::kMmioHoleStart);
}

TEST_CASE("hvm_start_info: field offsets as in Xen's start_info.h", "[pvh]") {
    CHECK(offsetof(HvmStartInfo, magic) == 0);
    CHECK(offsetof(HvmStartInfo, version) == 4);
    CHECK(offsetof(HvmStartInfo, flags) == 8);
    CHECK(offsetof(HvmStartInfo, module_count) == 12);
    CHECK(offsetof(HvmStartInfo, modlist_address) == 16);
    CHECK(offsetof(HvmStartInfo, cmdline_address) == 24);
    CHECK(offsetof(HvmStartInfo, rsdp_address) == 32);
    CHECK(offsetof(HvmStartInfo, memmap_address) == 40);
    CHECK(offsetof(HvmStartInfo, memmap_count) == 48);
    CHECK(sizeof(HvmStartInfo) == 56);
    CHECK(offsetof(HvmModlistEntry, size) == 8);
    CHECK(offsetof(HvmModlistEntry, cmdline_address) == 16);
    CHECK(sizeof(HvmModlistEntry) == 32);
    CHECK(offsetof(HvmMemmapTableEntry, type) == 16);
    CHECK(sizeof(HvmMemmapTableEntry) == 24);
}

TEST_CASE("hvm_start_info: written with magic, version 1, command line, module and memory map", "[pvh]") {
    GuestMemory memory = GuestMemory::allocate(4 << 20);
    auto map = build_e820_map(memory.size());
    uint64_t at = write_pvh_start_info(
        memory, 0x2000, {.cmdline_address = 0x3000, .module = PvhModule{0x3f'0000, 1234}, .memory_map = map});
    CHECK(at == 0x2000);
    auto start = memory.read_object<HvmStartInfo>(0x2000);
    CHECK(start.magic == 0x336ec578);
    CHECK(start.version == 1);
    CHECK(start.cmdline_address == 0x3000);
    CHECK(start.rsdp_address == 0);
    REQUIRE(start.module_count == 1);
    auto module = memory.read_object<HvmModlistEntry>(start.modlist_address);
    CHECK(module.address == 0x3f'0000);
    CHECK(module.size == 1234);
    REQUIRE(start.memmap_count == 3);
    for (uint32_t i = 0; i < 3; ++i) {
        auto entry = memory.read_object<HvmMemmapTableEntry>(start.memmap_address + i * sizeof(HvmMemmapTableEntry));
        CHECK(entry.address == map[i].address);
        CHECK(entry.size == map[i].size);
        CHECK(entry.type == static_cast<uint32_t>(map[i].type));
        CHECK(entry.reserved == 0);
    }
    CHECK(start.modlist_address >= 0x2000 + sizeof(HvmStartInfo));
    CHECK(start.memmap_address >= start.modlist_address + sizeof(HvmModlistEntry));
}

TEST_CASE("hvm_start_info: no module means a zero count and no list", "[pvh]") {
    GuestMemory memory = GuestMemory::allocate(4 << 20);
    auto map = build_e820_map(memory.size());
    write_pvh_start_info(memory, 0x2000, {.cmdline_address = 0x3000, .module = std::nullopt, .memory_map = map});
    auto start = memory.read_object<HvmStartInfo>(0x2000);
    CHECK(start.module_count == 0);
    CHECK(start.modlist_address == 0);
    CHECK(start.memmap_count == 3);
}

TEST_CASE("pvh entry: 32-bit flat protected mode, paging off, TR a 32-bit TSS, EBX = start info", "[pvh]") {
    kvm_sregs sregs = x86::pvh_entry_sregs(kvm_sregs{});
    CHECK(sregs.cr0 & 1);                 // PE
    CHECK_FALSE(sregs.cr0 & (1u << 31));  // PG
    CHECK(sregs.efer == 0);
    CHECK(sregs.cs.db == 1);
    CHECK(sregs.cs.l == 0);
    CHECK(sregs.cs.base == 0);
    CHECK(sregs.cs.limit == 0xffffffff);
    CHECK(sregs.cs.type == 0xB);  // execute/read, accessed
    for (const kvm_segment& data : {sregs.ds, sregs.es, sregs.ss}) {
        CHECK(data.base == 0);
        CHECK(data.limit == 0xffffffff);
        CHECK(data.type == 0x3);  // read/write, accessed
        CHECK(data.db == 1);
    }
    CHECK(sregs.tr.type == 0xB);  // busy 32-bit TSS
    CHECK(sregs.tr.s == 0);
    CHECK(sregs.tr.base == 0);
    CHECK(sregs.tr.limit == 0x67);

    kvm_regs regs = x86::pvh_entry_regs(0x100'0850, 0x2000);
    CHECK(regs.rip == 0x100'0850);
    CHECK(regs.rbx == 0x2000);
    CHECK(regs.rflags == 0x2);  // IF and VM clear
}

TEST_CASE("pvh entry: the GDT holds the segments the registers were loaded from", "[pvh]") {
    GuestMemory memory = GuestMemory::allocate(4 << 20);
    x86::write_pvh_gdt(memory);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt) == 0);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt + 0x08) == 0x00cf9b000000ffffull);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt + 0x10) == 0x00cf93000000ffffull);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt + 0x18) == 0x00008b0000000067ull);
}
