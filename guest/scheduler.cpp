// The scheduler: which task runs on each CPU. Every task is pinned to one CPU for its life
// (Task::cpu: the CPU that created it, or the one `initcpu=K` names), so each CPU has its own run
// queue — the Ready tasks of the one task table that name it — and runs them round robin,
// switching on every timer tick that interrupts ring 3 (preemption) and whenever the running task
// blocks, sleeps, yields or ends. With nothing to run, a CPU switches to its idle loop, on its own
// stack, which waits for an interrupt (`sti; hlt`) rather than spinning in ring 0.
//
// Locking: task states change only under task_lock (task.cpp), so a waiter's "check, then
// block" and a waker's "change, then wake" cannot interleave (no lost wake-ups). The lock is never
// held across a switch: a pinned task only ever runs on its own CPU, so no other CPU can pick
// it while its stack is still in use. Waking a task of another CPU also sends that CPU the
// wake-up IPI, which ends its `hlt`. What is per CPU (PerCpu, kernel.hpp) only its CPU touches.
#include "kernel.hpp"
#include "spinlock.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

// The next Ready task pinned to `cpu`, in table order after the one it ran last, that one last.
Task* pick_next(PerCpu& cpu) {
    Task* table = task_table();
    for (size_t step = 1; step <= kMaxTasks; ++step) {
        size_t slot = (cpu.last_slot + step) % kMaxTasks;
        if (table[slot].state == TaskState::Ready && table[slot].cpu == cpu.index) {
            cpu.last_slot = slot;
            return &table[slot];
        }
    }
    return nullptr;
}

// From the running task (or the idle loop, nullptr) to `next` (or the idle loop). The ring-0
// stacks ring 3 enters by, TSS.RSP0 and syscall_entry's, become the next task's.
void switch_to(PerCpu& cpu, Task* next) {
    Task* previous = cpu.running;
    if (next == previous) return;
    cpu.running = next;
    if (next) {
        cpu.kernel_stack_top = next->stack_top;
        set_ring0_stack(cpu.index, next->stack_top);
        if (x86::read_cr3() != next->cr3) x86::write_cr3(next->cr3);
    }
    switch_context(previous ? &previous->saved_rsp : &cpu.idle_rsp, next ? next->saved_rsp : cpu.idle_rsp);
}

// With task_lock held.
void wake_sleepers(PerCpu& cpu, uint64_t now) {
    uint64_t earliest = UINT64_MAX;
    Task* table = task_table();
    for (size_t i = 0; i < kMaxTasks; ++i) {
        Task& task = table[i];
        if (task.state != TaskState::Sleeping || task.cpu != cpu.index) continue;
        if (task.wake_at_ns <= now)
            task.state = TaskState::Ready;
        else if (task.wake_at_ns < earliest)
            earliest = task.wake_at_ns;
    }
    cpu.next_wake_ns = earliest;
}

}  // namespace

Task* current_task() { return this_cpu().running; }

// The idle loop: every CPU ends up here after boot, on its own stack, and comes back whenever
// none of its tasks can run. `sti; hlt` (x86::wait_for_interrupt) cannot miss a wake-up IPI sent
// after the look at the run queue: the IPI stays pending until STI's shadow ends, inside HLT.
// A timer tick with nothing to run changes nothing here: the loop looks again and halts again.
void scheduler_run() {
    PerCpu& cpu = this_cpu();
    for (;;) {
        task_lock.acquire();
        Task* next = pick_next(cpu);
        task_lock.release();
        if (next)
            switch_to(cpu, next);  // returns when this CPU has nothing to run again
        else
            x86::wait_for_interrupt();
    }
}

void block(TaskState state) {
    PerCpu& cpu = this_cpu();
    cpu.running->state = state;
    Task* next = pick_next(cpu);
    task_lock.release();
    switch_to(cpu, next);
}

void yield() {
    task_lock.acquire();
    block(TaskState::Ready);
}

void sleep_until(uint64_t deadline_ns) {
    if (deadline_ns <= clock_now_ns()) return;
    PerCpu& cpu = this_cpu();
    task_lock.acquire();
    cpu.running->wake_at_ns = deadline_ns;
    if (deadline_ns < cpu.next_wake_ns) cpu.next_wake_ns = deadline_ns;
    block(TaskState::Sleeping);
}

void wake(Task* task) {
    task->state = TaskState::Ready;
    cpu_wake(task->cpu);
}

void wake_all(TaskState waiting) {
    Task* table = task_table();
    for (size_t i = 0; i < kMaxTasks; ++i)
        if (table[i].state == waiting) wake(&table[i]);
}

// On every CPU's own tick. Most ticks cost one comparison: this CPU's sleepers are looked at only
// once the earliest is due. A tick that interrupted ring 3 ends the running task's time slice
// (one tick, 10 ms); one that interrupted the idle loop returns to it.
void scheduler_tick(bool interrupted_user) {
    PerCpu& cpu = this_cpu();
    if (cpu.next_wake_ns != UINT64_MAX) {
        uint64_t now = clock_now_ns();
        if (now >= cpu.next_wake_ns) {
            LockGuard guard(task_lock);
            wake_sleepers(cpu, now);
        }
    }
    if (interrupted_user && cpu.running) yield();
}

}  // namespace glassvm::guest
