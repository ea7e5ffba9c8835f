// Test init program (ring 3, Linux x86-64 ABI, no libc): prints "pid=P line=N" for N = 1..COUNT
// with a busy loop of SPIN iterations between lines, then exits 0. argv: [COUNT [SPIN]], default
// 20 lines and 3,000,000 iterations (about 2 ms natively). Run as several tasks
// (`--cmdline 'tasks=2 -- …'`), the lines of the tasks interleave only if the scheduler preempts.
#include <stddef.h>
#include <stdint.h>

namespace {

long syscall3(long number, long a, long b, long c) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

constexpr long kWrite = 1, kGetpid = 39, kExitGroup = 231;

uint64_t parse(const char* text, uint64_t otherwise) {
    uint64_t value = 0;
    for (; *text >= '0' && *text <= '9'; ++text) value = value * 10 + uint64_t(*text - '0');
    return *text == '\0' && value > 0 ? value : otherwise;
}

size_t append_number(char* out, uint64_t value) {
    char digits[20];
    size_t count = 0;
    do {
        digits[count++] = char('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < count; ++i) out[i] = digits[count - 1 - i];
    return count;
}

size_t append(char* out, const char* text) {
    size_t length = 0;
    for (; text[length] != '\0'; ++length) out[length] = text[length];
    return length;
}

}  // namespace

extern "C" [[noreturn]] void ticker_main(const uint64_t* stack) {
    uint64_t argc = stack[0];
    auto argv = reinterpret_cast<const char* const*>(stack + 1);
    uint64_t count = argc > 1 ? parse(argv[1], 20) : 20;
    uint64_t spin = argc > 2 ? parse(argv[2], 3'000'000) : 3'000'000;
    uint64_t pid = uint64_t(syscall3(kGetpid, 0, 0, 0));
    for (uint64_t line = 1; line <= count; ++line) {
        for (uint64_t i = 0; i < spin; ++i) asm volatile("" : : "r"(i));  // kept, not folded
        char text[64];
        size_t length = append(text, "pid=");
        length += append_number(text + length, pid);
        length += append(text + length, " line=");
        length += append_number(text + length, line);
        text[length++] = '\n';
        syscall3(kWrite, 1, long(text), long(length));
    }
    syscall3(kExitGroup, 0, 0, 0);
    __builtin_unreachable();
}

asm(R"(
    .text
    .globl _start
_start:
    mov     %rsp, %rdi
    and     $-16, %rsp
    call    ticker_main
    ud2
)");
