// Unit tests for the ELF64 loader: parse_elf accepts a bootable image and rejects each malformed
// one with a BadInput error naming the problem (never a crash); load_elf copies and zeroes .bss.
#include <catch2/catch.hpp>

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/loader/elf.hpp"

using glassvm::ElfImage;
using glassvm::ErrorKind;
using glassvm::GuestMemory;

namespace {

// The test image: a code segment and a data segment with .bss, listed data-first (so sorting is
// visible) with a PT_NOTE between them that the loader must ignore.
//   file 0x000  Elf64_Ehdr
//   file 0x040  3 x Elf64_Phdr (to 0x0e8)
//   file 0x100  code: 0x40 bytes  -> 0x100000..0x100040, R+X
//   file 0x140  data: 0x20 bytes  -> 0x101000..0x102000, R+W (0xfe0 bytes of .bss)
constexpr uint64_t kCodeAddress = 0x10'0000, kCodeOffset = 0x100, kCodeSize = 0x40;
constexpr uint64_t kDataAddress = 0x10'1000, kDataOffset = 0x140, kDataFileSize = 0x20, kDataMemorySize = 0x1000;
constexpr uint64_t kFileSize = 0x160;
constexpr uint64_t kEntry = kCodeAddress + 0x10;
constexpr size_t kDataHeader = 0, kNoteHeader = 1, kCodeHeader = 2;

struct TestElf {
    Elf64_Ehdr header{};
    std::vector<Elf64_Phdr> program_headers;
    std::vector<uint8_t> contents;  // the whole file; header and program headers are written over it

    std::vector<uint8_t> bytes() const {
        std::vector<uint8_t> file = contents;
        std::memcpy(file.data(), &header, sizeof header);
        for (size_t i = 0; i < program_headers.size(); ++i)
            std::memcpy(file.data() + sizeof header + i * sizeof(Elf64_Phdr), &program_headers[i], sizeof(Elf64_Phdr));
        return file;
    }
};

Elf64_Phdr load_header(uint64_t offset, uint64_t address, uint64_t file_size, uint64_t memory_size, uint32_t flags) {
    Elf64_Phdr p{};
    p.p_type = PT_LOAD;
    p.p_flags = flags;
    p.p_offset = offset;
    p.p_vaddr = address;
    p.p_paddr = address;
    p.p_filesz = file_size;
    p.p_memsz = memory_size;
    p.p_align = 0x1000;
    return p;
}

TestElf valid_elf() {
    TestElf elf;
    Elf64_Ehdr& h = elf.header;
    std::memcpy(h.e_ident, ELFMAG, SELFMAG);
    h.e_ident[EI_CLASS] = ELFCLASS64;
    h.e_ident[EI_DATA] = ELFDATA2LSB;
    h.e_ident[EI_VERSION] = EV_CURRENT;
    h.e_ident[EI_OSABI] = ELFOSABI_SYSV;
    h.e_type = ET_EXEC;
    h.e_machine = EM_X86_64;
    h.e_version = EV_CURRENT;
    h.e_entry = kEntry;
    h.e_phoff = sizeof(Elf64_Ehdr);
    h.e_ehsize = sizeof(Elf64_Ehdr);
    h.e_phentsize = sizeof(Elf64_Phdr);
    h.e_phnum = 3;

    Elf64_Phdr note{};
    note.p_type = PT_NOTE;
    elf.program_headers = {
        load_header(kDataOffset, kDataAddress, kDataFileSize, kDataMemorySize, PF_R | PF_W),
        note,
        load_header(kCodeOffset, kCodeAddress, kCodeSize, kCodeSize, PF_R | PF_X),
    };
    elf.contents.assign(kFileSize, 0);
    for (uint64_t i = 0; i < kCodeSize; ++i) elf.contents[kCodeOffset + i] = static_cast<uint8_t>(0x10 + i);
    for (uint64_t i = 0; i < kDataFileSize; ++i) elf.contents[kDataOffset + i] = static_cast<uint8_t>(0xd0 + i);
    return elf;
}

// Matches a glassvm::Error of kind BadInput whose message names the file and contains `problem`.
class IsBadInput : public Catch::MatcherBase<glassvm::Error> {
public:
    explicit IsBadInput(std::string problem) : m_problem(std::move(problem)) {}
    bool match(const glassvm::Error& error) const override {
        std::string message = error.what();
        return error.kind() == ErrorKind::BadInput && message.starts_with("kernel.elf: ") &&
               message.find(m_problem) != std::string::npos;
    }
    std::string describe() const override {
        return "is a BadInput error \"kernel.elf: ...\" containing \"" + m_problem + "\"";
    }

private:
    std::string m_problem;
};

ElfImage parse(const std::vector<uint8_t>& file) { return glassvm::parse_elf(file, "kernel.elf"); }

// Parses `file`, which may be garbage: true when accepted, false when rejected with an Error.
// Anything else (another exception type) escapes and fails the test.
bool parses_or_is_rejected(const std::vector<uint8_t>& file) {
    try {
        ElfImage image = parse(file);
        // Whatever is accepted must satisfy what parse_elf promises.
        REQUIRE_FALSE(image.segments.empty());
        for (size_t i = 0; i < image.segments.size(); ++i) {
            const auto& segment = image.segments[i];
            REQUIRE(segment.file_size <= segment.memory_size);
            REQUIRE(segment.file_offset <= file.size());
            REQUIRE(segment.file_size <= file.size() - segment.file_offset);
            if (i > 0)
                REQUIRE(image.segments[i - 1].load_address + image.segments[i - 1].memory_size <= segment.load_address);
        }
        return true;
    } catch (const glassvm::Error& error) {
        REQUIRE(error.kind() == ErrorKind::BadInput);
        return false;
    }
}

}  // namespace

TEST_CASE("elf: a valid executable parses with segments sorted by address", "[elf]") {
    ElfImage image = parse(valid_elf().bytes());

    CHECK(image.entry == kEntry);
    REQUIRE(image.segments.size() == 2);  // the PT_NOTE is not loadable
    const auto& code = image.segments[0];
    CHECK(code.load_address == kCodeAddress);
    CHECK(code.virtual_address == kCodeAddress);
    CHECK(code.file_offset == kCodeOffset);
    CHECK(code.file_size == kCodeSize);
    CHECK(code.memory_size == kCodeSize);
    CHECK(code.executable);
    const auto& data = image.segments[1];
    CHECK(data.load_address == kDataAddress);
    CHECK(data.file_offset == kDataOffset);
    CHECK(data.file_size == kDataFileSize);
    CHECK(data.memory_size == kDataMemorySize);
    CHECK_FALSE(data.executable);

    CHECK(image.lowest_address() == kCodeAddress);
    CHECK(image.highest_address() == kDataAddress + kDataMemorySize);
}

TEST_CASE("elf: load address is p_paddr, the entry is checked against p_vaddr", "[elf]") {
    // A higher-half kernel: linked at 0xffffffff80100000, loaded at physical 0x100000.
    constexpr uint64_t kHigherHalf = 0xffff'ffff'8000'0000;
    TestElf elf = valid_elf();
    elf.program_headers[kCodeHeader].p_vaddr += kHigherHalf;
    elf.program_headers[kDataHeader].p_vaddr += kHigherHalf;
    elf.header.e_entry = kEntry + kHigherHalf;

    ElfImage image = parse(elf.bytes());
    CHECK(image.entry == kEntry + kHigherHalf);
    REQUIRE(image.segments.size() == 2);
    CHECK(image.segments[0].load_address == kCodeAddress);
    CHECK(image.segments[0].virtual_address == kCodeAddress + kHigherHalf);
    CHECK(image.lowest_address() == kCodeAddress);
    CHECK(image.highest_address() == kDataAddress + kDataMemorySize);
}

TEST_CASE("elf: segments that touch without overlapping are accepted", "[elf]") {
    TestElf elf = valid_elf();
    elf.program_headers[kDataHeader].p_paddr = kCodeAddress + kCodeSize;
    elf.program_headers[kDataHeader].p_vaddr = kCodeAddress + kCodeSize;
    ElfImage image = parse(elf.bytes());
    REQUIRE(image.segments.size() == 2);
    CHECK(image.segments[1].load_address == kCodeAddress + kCodeSize);
    CHECK(image.highest_address() == kCodeAddress + kCodeSize + kDataMemorySize);
}

TEST_CASE("elf: the entry point may be any byte of an executable segment", "[elf]") {
    TestElf elf = valid_elf();
    for (uint64_t entry : {kCodeAddress, kCodeAddress + kCodeSize - 1}) {
        elf.header.e_entry = entry;
        CHECK(parse(elf.bytes()).entry == entry);
    }
}

TEST_CASE("elf: a file shorter than the ELF header is rejected", "[elf]") {
    std::vector<uint8_t> file = valid_elf().bytes();
    file.resize(sizeof(Elf64_Ehdr) - 1);
    REQUIRE_THROWS_MATCHES(parse(file), glassvm::Error, IsBadInput("too short to be an ELF file (63 bytes)"));
    REQUIRE_THROWS_MATCHES(parse({}), glassvm::Error, IsBadInput("too short"));
}

TEST_CASE("elf: bad magic is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_ident[EI_MAG1] = 'X';
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("not an ELF file (bad magic)"));
}

TEST_CASE("elf: a 32-bit ELF is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_ident[EI_CLASS] = ELFCLASS32;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("32-bit"));
}

TEST_CASE("elf: a big-endian ELF is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_ident[EI_DATA] = ELFDATA2MSB;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("big-endian"));
}

TEST_CASE("elf: an executable for another machine is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_machine = EM_AARCH64;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("machine 183"));
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("not x86-64"));
}

TEST_CASE("elf: a position-independent (ET_DYN) file is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_type = ET_DYN;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("not an executable (ELF type 3"));
}

TEST_CASE("elf: an entry point of 0 is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_entry = 0;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("has no entry point"));
}

TEST_CASE("elf: a file without program headers is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_phnum = 0;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("has no program headers"));
}

TEST_CASE("elf: a wrong program header entry size is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.header.e_phentsize = sizeof(Elf64_Phdr) - 4;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("program header size 52 is not 56"));
}

TEST_CASE("elf: program headers past the end of the file are rejected", "[elf]") {
    SECTION("file truncated inside the program header table") {
        std::vector<uint8_t> file = valid_elf().bytes();
        file.resize(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + 10);
        REQUIRE_THROWS_MATCHES(parse(file), glassvm::Error, IsBadInput("program headers run past the end"));
    }
    SECTION("e_phnum larger than the file holds") {
        TestElf elf = valid_elf();
        elf.header.e_phnum = 1000;
        REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("program headers run past the end"));
    }
    SECTION("e_phoff so large that offset + size wraps around") {
        TestElf elf = valid_elf();
        elf.header.e_phoff = UINT64_MAX - 8;
        REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("program headers run past the end"));
    }
}

TEST_CASE("elf: segment data past the end of the file is rejected", "[elf]") {
    SECTION("file truncated inside a segment") {
        std::vector<uint8_t> file = valid_elf().bytes();
        file.resize(kDataOffset + kDataFileSize - 1);
        REQUIRE_THROWS_MATCHES(parse(file), glassvm::Error,
                               IsBadInput("segment 0 (32 bytes at file offset 0x140) runs past the end of the file"));
    }
    SECTION("p_offset beyond the file") {
        TestElf elf = valid_elf();
        elf.program_headers[kCodeHeader].p_offset = kFileSize;
        REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("segment 2 "));
        REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("runs past the end of the file"));
    }
    SECTION("p_offset + p_filesz wraps around") {
        TestElf elf = valid_elf();
        elf.program_headers[kCodeHeader].p_offset = UINT64_MAX - 0x10;
        REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("runs past the end of the file"));
    }
}

TEST_CASE("elf: a segment with more file bytes than memory bytes is rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.program_headers[kCodeHeader].p_memsz = kCodeSize - 1;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error,
                           IsBadInput("segment 2 has more file bytes (64) than memory bytes (63)"));
}

TEST_CASE("elf: a segment wrapping around the address space is rejected", "[elf]") {
    TestElf elf = valid_elf();
    SECTION("physical address wraps") { elf.program_headers[kDataHeader].p_paddr = UINT64_MAX - 0x100; }
    SECTION("virtual address wraps") { elf.program_headers[kDataHeader].p_vaddr = UINT64_MAX - 0x100; }
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("segment 0 wraps around the address space"));
}

TEST_CASE("elf: overlapping PT_LOAD segments are rejected", "[elf]") {
    TestElf elf = valid_elf();
    elf.program_headers[kDataHeader].p_paddr = kCodeAddress + kCodeSize - 1;
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("loadable segments overlap at 0x10003f"));
}

TEST_CASE("elf: a file with no PT_LOAD segment is rejected", "[elf]") {
    TestElf elf = valid_elf();
    SECTION("no PT_LOAD at all") {
        elf.program_headers[kDataHeader].p_type = PT_NOTE;
        elf.program_headers[kCodeHeader].p_type = PT_GNU_STACK;
    }
    SECTION("PT_LOADs of zero memory size") {
        elf.program_headers[kDataHeader].p_memsz = 0;
        elf.program_headers[kDataHeader].p_filesz = 0;
        elf.program_headers[kCodeHeader].p_memsz = 0;
        elf.program_headers[kCodeHeader].p_filesz = 0;
    }
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("has no loadable (PT_LOAD) segments"));
}

TEST_CASE("elf: an entry point outside every executable segment is rejected", "[elf]") {
    TestElf elf = valid_elf();
    SECTION("in the data segment") { elf.header.e_entry = kDataAddress; }
    SECTION("one past the code segment") { elf.header.e_entry = kCodeAddress + kCodeSize; }
    SECTION("below the code segment") { elf.header.e_entry = kCodeAddress - 1; }
    SECTION("code segment not marked executable") { elf.program_headers[kCodeHeader].p_flags = PF_R; }
    REQUIRE_THROWS_MATCHES(parse(elf.bytes()), glassvm::Error, IsBadInput("is not inside an executable segment"));
}

TEST_CASE("elf: every truncation of a valid file is rejected cleanly", "[elf]") {
    const std::vector<uint8_t> file = valid_elf().bytes();
    for (size_t length = 0; length < file.size(); ++length) {
        INFO("truncated to " << length << " bytes");
        std::vector<uint8_t> prefix(file.begin(), file.begin() + static_cast<ptrdiff_t>(length));
        // The last segment byte is at file.size() - 1, so every proper prefix is missing data.
        CHECK_FALSE(parses_or_is_rejected(prefix));
    }
}

TEST_CASE("elf: random byte mutations either parse or throw glassvm::Error", "[elf]") {
    const std::vector<uint8_t> valid = valid_elf().bytes();
    std::mt19937 random(0x91a55);  // fixed seed: the same 400 files every run
    std::uniform_int_distribution<size_t> header_byte(0, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) - 1);
    std::uniform_int_distribution<size_t> any_byte(0, valid.size() - 1);
    std::uniform_int_distribution<int> byte_value(0, 255), mutation_count(1, 4);
    size_t accepted = 0, rejected = 0;
    for (int round = 0; round < 400; ++round) {
        std::vector<uint8_t> file = valid;
        int mutations = mutation_count(random);
        for (int m = 0; m < mutations; ++m) {
            // Mostly the headers, where a flipped byte changes what the parser believes.
            size_t position = (m % 2 == 0) ? header_byte(random) : any_byte(random);
            file[position] = static_cast<uint8_t>(byte_value(random));
        }
        INFO("round " << round);
        (parses_or_is_rejected(file) ? accepted : rejected)++;
    }
    // Both outcomes occur, so the mutations exercise the parser rather than always hitting the
    // magic number (or always missing the headers).
    CHECK(accepted > 0);
    CHECK(rejected > 0);
}

TEST_CASE("elf: load_elf copies file bytes and zeroes .bss", "[elf]") {
    const std::vector<uint8_t> file = valid_elf().bytes();
    ElfImage image = parse(file);
    GuestMemory memory = GuestMemory::allocate(4 << 20);
    std::memset(memory.host_base(), 0xaa, memory.size());

    glassvm::load_elf(memory, file, image, 0x1'0000, "kernel.elf");

    auto code = memory.slice(kCodeAddress, kCodeSize);
    CHECK(std::equal(code.begin(), code.end(), file.begin() + kCodeOffset));
    auto data = memory.slice(kDataAddress, kDataFileSize);
    CHECK(std::equal(data.begin(), data.end(), file.begin() + kDataOffset));
    auto bss = memory.slice(kDataAddress + kDataFileSize, kDataMemorySize - kDataFileSize);
    CHECK(std::all_of(bss.begin(), bss.end(), [](uint8_t byte) { return byte == 0; }));

    // Nothing outside the segments is touched.
    CHECK(memory.read_object<uint8_t>(kCodeAddress - 1) == 0xaa);
    auto gap = memory.slice(kCodeAddress + kCodeSize, kDataAddress - (kCodeAddress + kCodeSize));
    CHECK(std::all_of(gap.begin(), gap.end(), [](uint8_t byte) { return byte == 0xaa; }));
    CHECK(memory.read_object<uint8_t>(kDataAddress + kDataMemorySize) == 0xaa);
}

TEST_CASE("elf: load_elf accepts segments exactly at the edges of the allowed range", "[elf]") {
    const std::vector<uint8_t> file = valid_elf().bytes();
    ElfImage image = parse(file);
    // RAM ends where the data segment's .bss ends; nothing may load below the code segment.
    GuestMemory memory = GuestMemory::allocate(kDataAddress + kDataMemorySize);
    std::memset(memory.host_base(), 0xaa, memory.size());
    glassvm::load_elf(memory, file, image, kCodeAddress, "kernel.elf");
    CHECK(memory.read_object<uint8_t>(kCodeAddress) == file[kCodeOffset]);
    CHECK(memory.read_object<uint8_t>(memory.size() - 1) == 0);
}

TEST_CASE("elf: load_elf rejects segments below lowest_allowed or past the end of RAM", "[elf]") {
    const std::vector<uint8_t> file = valid_elf().bytes();
    ElfImage image = parse(file);

    SECTION("below lowest_allowed") {
        GuestMemory memory = GuestMemory::allocate(4 << 20);
        REQUIRE_THROWS_MATCHES(
            glassvm::load_elf(memory, file, image, kCodeAddress + 1, "kernel.elf"), glassvm::Error,
            IsBadInput("segment at 0x100000..0x100040 does not fit in guest RAM [0x100001, 0x400000)"));
    }
    SECTION("beyond the end of RAM") {
        GuestMemory memory = GuestMemory::allocate(kDataAddress + kDataMemorySize - 1);
        REQUIRE_THROWS_MATCHES(glassvm::load_elf(memory, file, image, 0x1'0000, "kernel.elf"), glassvm::Error,
                               IsBadInput("segment at 0x101000..0x102000 does not fit in guest RAM"));
    }
    SECTION("RAM smaller than the load address") {
        GuestMemory memory = GuestMemory::allocate(0x8'0000);
        REQUIRE_THROWS_MATCHES(glassvm::load_elf(memory, file, image, 0x1'0000, "kernel.elf"), glassvm::Error,
                               IsBadInput("does not fit in guest RAM"));
    }
}
