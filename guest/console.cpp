// Text and numbers on the serial console: what the kernel's own messages are made of.
#include "kernel.hpp"

namespace glassvm::guest {

void print(const char* text, size_t length) { serial_write(text, length); }

void print_hex(uint64_t value) {
    char buffer[18];
    size_t position = sizeof buffer;
    do {
        buffer[--position] = "0123456789abcdef"[value & 0xf];
        value >>= 4;
    } while (value != 0);
    buffer[--position] = 'x';
    buffer[--position] = '0';
    print(buffer + position, sizeof buffer - position);
}

void print_dec(uint64_t value) {
    char buffer[20];
    size_t position = sizeof buffer;
    do {
        buffer[--position] = char('0' + value % 10);
        value /= 10;
    } while (value != 0);
    print(buffer + position, sizeof buffer - position);
}

}  // namespace glassvm::guest
