// The scheduler: round robin over the ready tasks, switching on every timer tick that interrupts
// ring 3 (preemption), and whenever the running task blocks, sleeps, yields or ends. When no
// task can run, the CPU waits for an interrupt (`sti; hlt`) rather than spinning in ring 0.
//
// One CPU, and the kernel runs with interrupts off, so no locks: the state below changes only in
// system calls and interrupt handlers, never concurrently.
#include "kernel.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

Task* running;
uint64_t boot_rsp;                  // the boot stack's pointer, saved by the first switch and dropped
uint64_t next_wake_ns = UINT64_MAX; // the earliest deadline of a sleeping task

// The next ready task after the running one, in table order, the running one last.
Task* pick_next() {
    Task* table = task_table();
    size_t start = running ? size_t(running - table) : kMaxTasks - 1;
    for (size_t step = 1; step <= kMaxTasks; ++step) {
        Task* candidate = &table[(start + step) % kMaxTasks];
        if (candidate->state == TaskState::Ready) return candidate;
    }
    return nullptr;
}

void switch_to(Task* next) {
    Task* previous = running;
    if (next == previous) return;
    running = next;
    set_kernel_stack(next->stack_top);
    if (x86::read_cr3() != next->cr3) x86::write_cr3(next->cr3);
    switch_context(previous ? &previous->saved_rsp : &boot_rsp, next->saved_rsp);
}

void wake_sleepers(uint64_t now) {
    uint64_t earliest = UINT64_MAX;
    Task* table = task_table();
    for (size_t i = 0; i < kMaxTasks; ++i) {
        Task& task = table[i];
        if (task.state != TaskState::Sleeping) continue;
        if (task.wake_at_ns <= now)
            task.state = TaskState::Ready;
        else if (task.wake_at_ns < earliest)
            earliest = task.wake_at_ns;
    }
    next_wake_ns = earliest;
}

}  // namespace

Task* current_task() { return running; }

void scheduler_start() {
    schedule();
    x86::halt_forever();  // never reached: the boot stack is not switched back to
}

void schedule() {
    for (;;) {
        if (Task* next = pick_next()) {
            switch_to(next);
            return;
        }
        x86::wait_for_interrupt();  // the handler may wake someone; then look again
    }
}

void yield() {
    running->state = TaskState::Ready;
    schedule();
}

void sleep_until(uint64_t deadline_ns) {
    if (deadline_ns <= clock_now_ns()) return;
    running->state = TaskState::Sleeping;
    running->wake_at_ns = deadline_ns;
    if (deadline_ns < next_wake_ns) next_wake_ns = deadline_ns;
    schedule();
}

void wake(Task* task) { task->state = TaskState::Ready; }

void wake_all(TaskState waiting) {
    Task* table = task_table();
    for (size_t i = 0; i < kMaxTasks; ++i)
        if (table[i].state == waiting) table[i].state = TaskState::Ready;
}

// Most ticks cost one comparison: sleepers are looked at only once the earliest is due.
// A tick that interrupted ring 3 ends the running task's time slice (one tick, 10 ms).
void scheduler_tick(bool interrupted_user) {
    if (next_wake_ns != UINT64_MAX) {
        uint64_t now = clock_now_ns();
        if (now >= next_wake_ns) wake_sleepers(now);
    }
    if (interrupted_user && running) yield();
}

}  // namespace glassvm::guest
