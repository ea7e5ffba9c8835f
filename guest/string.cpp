// memcpy, memmove, memset and memcmp (the compiler may call them for any copy or clear), and
// strlen (string_length's, for strings that are not literals). Built on x86 string instructions: ring 0 runs under KVM's instruction emulator
// here (~1 µs an instruction), where one `rep movsq` beats a loop of thousands.
#include "kernel.hpp"

extern "C" void* memcpy(void* destination, const void* source, size_t size) {
    void* result = destination;
    size_t words = size / 8;
    size_t bytes = size % 8;
    asm volatile(
        "rep movsq\n\t"
        "mov %3, %%rcx\n\t"
        "rep movsb"
        : "+D"(destination), "+S"(source), "+c"(words)
        : "r"(bytes)
        : "memory");
    return result;
}

extern "C" void* memmove(void* destination, const void* source, size_t size) {
    auto* to = static_cast<char*>(destination);
    auto* from = static_cast<const char*>(source);
    if (to <= from || to >= from + size) return memcpy(destination, source, size);
    // Overlapping with the destination above the source: copy backwards (DF = 1).
    to += size - 1;
    from += size - 1;
    asm volatile(
        "std\n\t"
        "rep movsb\n\t"
        "cld"
        : "+D"(to), "+S"(from), "+c"(size)
        :
        : "memory");
    return destination;
}

extern "C" void* memset(void* destination, int value, size_t size) {
    void* result = destination;
    uint64_t pattern = uint8_t(value) * 0x0101'0101'0101'0101ull;
    size_t words = size / 8;
    size_t bytes = size % 8;
    asm volatile(
        "rep stosq\n\t"
        "mov %3, %%rcx\n\t"
        "rep stosb"
        : "+D"(destination), "+c"(words)
        : "a"(pattern), "r"(bytes)
        : "memory");
    return result;
}

extern "C" int memcmp(const void* a, const void* b, size_t size) {
    if (size == 0) return 0;
    auto* left = static_cast<const unsigned char*>(a);
    auto* right = static_cast<const unsigned char*>(b);
    // `repe cmpsb` stops one past the first difference, or past the last byte if none.
    asm volatile("repe cmpsb" : "+S"(left), "+D"(right), "+c"(size) : : "memory", "cc");
    return int(left[-1]) - int(right[-1]);
}

// What string_length (kernel.hpp) calls for a string the compiler cannot count: `scasb` compares
// AL (0) with the byte at RDI and steps RDI; `repne` stops one past the terminator.
extern "C" size_t strlen(const char* text) {
    const char* end = text;
    size_t limit = ~size_t{0};
    asm volatile("repne scasb" : "+D"(end), "+c"(limit) : "a"(0) : "memory", "cc");
    return size_t(end - text) - 1;
}
