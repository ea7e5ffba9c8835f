// Console input: the serial interrupt handler moves received characters into a ring buffer, and
// readers (the read system call on fd 0, the shell) sleep until something is there. The handler
// runs on the boot CPU (the I/O APIC sends IRQ 4 there) and readers on any CPU: the buffer is
// guarded by task_lock, so that "empty, so wait" and "stored, so wake" cannot cross.
#include "kernel.hpp"
#include "spinlock.hpp"

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
    LockGuard guard(task_lock);
    serial_drain(store);
    if (tail != head) wake_all(TaskState::WaitingInput);
}

size_t input_read(char* destination, size_t capacity) {
    task_lock.acquire();
    while (head == tail) {
        block(TaskState::WaitingInput);
        task_lock.acquire();
    }
    size_t count = 0;
    while (count < capacity && head != tail) destination[count++] = buffer[head++ % kCapacity];
    task_lock.release();
    return count;
}

}  // namespace glassvm::guest
