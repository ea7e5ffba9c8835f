// Starting the init program: check its ELF header, copy its segments into place, build its
// initial stack, and drop to ring 3.
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

constexpr size_t kMaxArguments = 32;          // argv entries, "init" included
constexpr uint64_t kStackReserve = 64 * 1024; // room kept free below the stack top

struct Range {
    uint64_t begin, end;
    bool overlaps(const Range& other) const { return begin < other.end && other.begin < end; }
};

struct Image {
    const char* file;
    uint64_t size;
    ElfHeader header;
};

[[noreturn]] void reject(const char* reason) {
    print("glassvm-guest: bad init program: ");
    print(reason);
    print("\n");
    exit_vm(abi::kStatusBadInit);
}

ProgramHeader program_header(const Image& image, size_t index) {
    ProgramHeader header;
    memcpy(&header, image.file + image.header.program_headers_offset + index * sizeof header,
           sizeof header);
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
    if (header.ident[4] != kClass64 || header.ident[5] != kLittleEndian ||
        header.ident[6] != kCurrentVersion)
        reject("not a little-endian ELF64 file");
    if (header.type != kExecutable) reject("not an ET_EXEC executable (static, non-PIE)");
    if (header.machine != kX86_64) reject("not an x86-64 program");
    if (header.program_header_size != sizeof(ProgramHeader) || header.program_header_count == 0)
        reject("no usable program headers");
    uint64_t table_size = uint64_t{header.program_header_count} * sizeof(ProgramHeader);
    if (header.program_headers_offset > image.size ||
        table_size > image.size - header.program_headers_offset)
        reject("program headers lie outside the file");
}

// Every PT_LOAD must come from inside the file and land in user RAM without covering the
// module it is copied from; the entry point must be inside one of them.
void check_segments(const Image& image) {
    bool entry_loaded = false;
    for (size_t i = 0; i < image.header.program_header_count; ++i) {
        ProgramHeader segment = program_header(image, i);
        if (segment.type != kLoad) continue;
        if (segment.file_size > segment.memory_size || segment.offset > image.size ||
            segment.file_size > image.size - segment.offset)
            reject("a segment's contents lie outside the file");
        if (!is_user_range(segment.address, segment.memory_size))
            reject("a segment lies outside user memory (2 MiB up to the end of RAM)");
        Range range{segment.address, segment.address + segment.memory_size};
        if (range.overlaps(module_range(image))) reject("a segment overlaps the init module");
        if (image.header.entry >= range.begin && image.header.entry < range.end)
            entry_loaded = true;
    }
    if (!entry_loaded) reject("the entry point is in no loadable segment");
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

bool stack_fits(const Image& image, uint64_t top) {
    if (top < kStackReserve || !is_user_range(top - kStackReserve, kStackReserve)) return false;
    Range stack{top - kStackReserve, top};
    if (stack.overlaps(module_range(image))) return false;
    for (size_t i = 0; i < image.header.program_header_count; ++i) {
        ProgramHeader segment = program_header(image, i);
        if (segment.type == kLoad &&
            stack.overlaps({segment.address, segment.address + segment.memory_size}))
            return false;
    }
    return true;
}

// The stack grows down from just below the module (free RAM once init runs), else from the
// end of RAM; either way clear of every segment.
uint64_t choose_stack_top(const Image& image) {
    uint64_t below_module = module_range(image).begin & ~uint64_t{15};
    if (stack_fits(image, below_module)) return below_module;
    uint64_t end_of_ram = user_memory_end() & ~uint64_t{15};
    if (stack_fits(image, end_of_ram)) return end_of_ram;
    reject("no room for a stack below the module or at the end of RAM");
}

// The initial process stack (System V AMD64 psABI §3.4.1, "Initial Stack and Register State"):
// at RSP, 16-byte aligned: argc, argv[0..argc-1], NULL, envp NULL, auxv {AT_NULL, 0}; the
// argument strings above.
uint64_t build_stack(uint64_t top) {
    Word arguments[kMaxArguments] = {{"init", 4}};
    size_t count = 1 + cmdline_init_arguments(arguments + 1, kMaxArguments - 1);

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

[[noreturn]] void exec_init(const abi::BootInfo& boot) {
    if (boot.init_size == 0) {
        print("glassvm-guest: no init program (pass one with --init)\n");
        exit_vm(abi::kStatusSuccess);
    }
    Image image{reinterpret_cast<const char*>(boot.init_address), boot.init_size, {}};
    Range kernel{uint64_t(__kernel_start), uint64_t(__kernel_end)};
    uint64_t ram_end = user_memory_end();
    if (boot.init_address > ram_end || boot.init_size > ram_end - boot.init_address ||
        module_range(image).overlaps(kernel))
        reject("the module itself is not in RAM outside the kernel");
    check_header(image);
    check_segments(image);
    uint64_t stack_top = choose_stack_top(image);
    load_segments(image);
    enter_user(image.header.entry, build_stack(stack_top));
}

}  // namespace glassvm::guest
