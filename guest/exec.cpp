// The init program: check its ELF header once at boot and size the user window for it; then, for
// each task that runs it, copy its segments into the task's window and build its initial stack.
#include "kernel.hpp"

extern "C" char __kernel_start[], __kernel_end[];  // linker.ld

namespace glassvm::guest {
namespace {

// ELF-64 Object File Format, version 1.5: the file header and a program header.
struct ElfHeader {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, program_headers_offset, section_headers_offset;
    uint32_t flags;
    uint16_t header_size, program_header_size, program_header_count;
    uint16_t section_header_size, section_header_count, section_names_index;
};
struct ProgramHeader {
    uint32_t type, flags;
    uint64_t offset, address, physical_address, file_size, memory_size, alignment;
};
static_assert(sizeof(ElfHeader) == 64 && sizeof(ProgramHeader) == 56);

constexpr unsigned char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr unsigned char kClass64 = 2, kLittleEndian = 1, kCurrentVersion = 1;
constexpr uint16_t kExecutable = 2;  // ET_EXEC
constexpr uint16_t kX86_64 = 62;     // EM_X86_64
constexpr uint32_t kLoad = 1;        // PT_LOAD

constexpr size_t kMaxArguments = 32;                          // argv entries, argv[0] included
constexpr uint64_t kStackSize = 256 * 1024;                   // a task's stack, at the top of its window
constexpr uint64_t kLargestWindow = 0x4000'0000 - kUserBase;  // the first page directory's reach

struct Range {
    uint64_t begin, end;
    bool overlaps(const Range& other) const { return begin < other.end && other.begin < end; }
};

struct Image {
    const char* file;
    uint64_t size;
    ElfHeader header;
};

Image program;  // the init module, checked by program_init

[[noreturn]] void reject(const char* reason) {
    print("glassvm-guest: bad init program: ");
    print(reason);
    print("\n");
    exit_vm(abi::kStatusBadInit);
}

ProgramHeader program_header(const Image& image, size_t index) {
    ProgramHeader header;
    memcpy(&header, image.file + image.header.program_headers_offset + index * sizeof header, sizeof header);
    return header;
}

Range module_range(const Image& image) {
    uint64_t begin = reinterpret_cast<uint64_t>(image.file);
    return {begin, begin + image.size};
}

void check_header(Image& image) {
    if (image.size < sizeof(ElfHeader)) reject("shorter than an ELF header");
    memcpy(&image.header, image.file, sizeof image.header);
    const ElfHeader& header = image.header;
    if (memcmp(header.ident, kElfMagic, sizeof kElfMagic) != 0) reject("not an ELF file");
    if (header.ident[4] != kClass64 || header.ident[5] != kLittleEndian || header.ident[6] != kCurrentVersion)
        reject("not a little-endian ELF64 file");
    if (header.type != kExecutable) reject("not an ET_EXEC executable (static, non-PIE)");
    if (header.machine != kX86_64) reject("not an x86-64 program");
    if (header.program_header_size != sizeof(ProgramHeader) || header.program_header_count == 0)
        reject("no usable program headers");
    uint64_t table_size = uint64_t{header.program_header_count} * sizeof(ProgramHeader);
    if (header.program_headers_offset > image.size || table_size > image.size - header.program_headers_offset)
        reject("program headers lie outside the file");
}

// Every PT_LOAD must come from inside the file and load at kUserBase or above; the entry point
// must be inside one of them. Returns where the highest segment ends.
uint64_t check_segments(const Image& image) {
    bool entry_loaded = false;
    uint64_t highest = kUserBase;
    for (size_t i = 0; i < image.header.program_header_count; ++i) {
        ProgramHeader segment = program_header(image, i);
        if (segment.type != kLoad) continue;
        if (segment.file_size > segment.memory_size || segment.offset > image.size ||
            segment.file_size > image.size - segment.offset)
            reject("a segment's contents lie outside the file");
        if (segment.address < kUserBase || segment.memory_size > kLargestWindow ||
            segment.address - kUserBase > kLargestWindow - segment.memory_size)
            reject("a segment lies outside user memory (2 MiB up to 1 GiB)");
        Range range{segment.address, segment.address + segment.memory_size};
        if (range.end > highest) highest = range.end;
        if (image.header.entry >= range.begin && image.header.entry < range.end) entry_loaded = true;
    }
    if (!entry_loaded) reject("the entry point is in no loadable segment");
    return highest;
}

// Identity-mapped memory, so the segment's address is where its bytes go; the rest is bss.
void load_segments(const Image& image) {
    for (size_t i = 0; i < image.header.program_header_count; ++i) {
        ProgramHeader segment = program_header(image, i);
        if (segment.type != kLoad) continue;
        auto* destination = reinterpret_cast<char*>(segment.address);
        memcpy(destination, image.file + segment.offset, segment.file_size);
        memset(destination + segment.file_size, 0, segment.memory_size - segment.file_size);
    }
}

// The initial process stack (System V AMD64 psABI §3.4.1, "Initial Stack and Register State"):
// at RSP, 16-byte aligned: argc, argv[0..argc-1], NULL, envp NULL, auxv {AT_NULL, 0}; the
// argument strings above.
uint64_t build_stack(uint64_t top, const Word* arguments, size_t count) {
    if (count > kMaxArguments) count = kMaxArguments;
    uint64_t strings[kMaxArguments];
    uint64_t cursor = top;
    for (size_t i = count; i-- > 0;) {
        cursor -= arguments[i].length + 1;
        auto* copy = reinterpret_cast<char*>(cursor);
        memcpy(copy, arguments[i].text, arguments[i].length);
        copy[arguments[i].length] = '\0';
        strings[i] = cursor;
    }

    size_t words = 1 + count + 1 + 1 + 2;
    uint64_t stack = (cursor - words * 8) & ~uint64_t{15};
    auto* slot = reinterpret_cast<uint64_t*>(stack);
    *slot++ = count;
    for (size_t i = 0; i < count; ++i) *slot++ = strings[i];
    *slot++ = 0;  // end of argv
    *slot++ = 0;  // envp: empty
    *slot++ = 0;  // auxv: AT_NULL
    *slot++ = 0;
    return stack;
}

}  // namespace

// The window holds the highest segment and a stack above it, in whole 2 MiB pages.
void program_init(const abi::BootInfo& boot) {
    if (boot.init_size == 0) return;
    program = {reinterpret_cast<const char*>(boot.init_address), boot.init_size, {}};
    Range kernel{uint64_t(__kernel_start), uint64_t(__kernel_end)};
    uint64_t ram_end = user_memory_end();
    if (boot.init_address > ram_end || boot.init_size > ram_end - boot.init_address ||
        module_range(program).overlaps(kernel))
        reject("the module itself is not in RAM outside the kernel");
    check_header(program);
    uint64_t highest = check_segments(program);
    uint64_t window = (highest + kStackSize + kLargePage - 1) / kLargePage * kLargePage - kUserBase;
    if (window > kLargestWindow) reject("the program and its stack do not fit below 1 GiB");
    Range module = module_range(program);
    if (user_window_init(window, module.begin, module.end) == 0)
        reject("no room for the program and its stack below the module (try a larger --mem)");
}

bool program_present() { return program.size != 0; }

uint64_t program_entry() { return program.header.entry; }

// The window's addresses are the current task's: the caller has loaded its address space.
// Memory a region's previous task left behind is not cleared beyond bss and the arguments.
uint64_t program_load(const Word* arguments, size_t count) {
    load_segments(program);
    return build_stack(user_window_end(), arguments, count);
}

}  // namespace glassvm::guest
