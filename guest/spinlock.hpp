// A spinlock: what several CPUs use to take turns at shared kernel state (the task table).
// The kernel runs with interrupts off, so a CPU holding a lock is never interrupted on it and
// handlers may take locks too; a lock is never held while the CPU idles or runs ring 3.
#pragma once

#include <stdint.h>

namespace glassvm::guest {

class Spinlock {
public:
    // XCHG with memory is locked by itself (Intel SDM Vol. 2B, XCHG), and it is one of the
    // locked instructions this host's instruction emulator runs (docs/KVM-LAB.md).
    void acquire() {
        while (__atomic_exchange_n(&m_locked, 1u, __ATOMIC_ACQUIRE) != 0) {
            while (__atomic_load_n(&m_locked, __ATOMIC_RELAXED) != 0) asm volatile("pause");
        }
    }
    void release() { __atomic_store_n(&m_locked, 0u, __ATOMIC_RELEASE); }

private:
    uint32_t m_locked = 0;
};

// Holds a lock for a scope.
class LockGuard {
public:
    explicit LockGuard(Spinlock& lock) : m_lock(lock) { m_lock.acquire(); }
    ~LockGuard() { m_lock.release(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Spinlock& m_lock;
};

}  // namespace glassvm::guest
