// Console input: the serial interrupt handler moves received characters into a ring buffer, and
// readers (the read system call on fd 0, the shell) sleep until something is there.
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

// A power of two, so positions wrap with a mask. When it is full, further characters are
// dropped (a person cannot type 256 characters ahead of a reader; a pipe is read as it fills).
constexpr size_t kCapacity = 256;
char buffer[kCapacity];
size_t head, tail;  // head: next to read; tail: next to write; both count up forever

void store(char byte) {
    if (tail - head < kCapacity) buffer[tail++ % kCapacity] = byte;
}

}  // namespace

void input_interrupt() {
    serial_drain(store);
    if (tail != head) wake_all(TaskState::WaitingInput);
}

size_t input_read(char* destination, size_t capacity) {
    while (head == tail) {
        current_task()->state = TaskState::WaitingInput;
        schedule();
    }
    size_t count = 0;
    while (count < capacity && head != tail) destination[count++] = buffer[head++ % kCapacity];
    return count;
}

}  // namespace glassvm::guest
