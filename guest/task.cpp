// Tasks: the table of them, creating one (a kernel stack set up to start it, and for a user task
// an address space with the program loaded), its end, and waiting for it. Any CPU may create a
// task for any CPU; task_lock (below) guards the table's states and the user regions.
//
// A task's whole kernel-side state is its kernel stack: interrupted or blocked, it sits in
// switch_context (trap_entry.S) with its registers on that stack. A new task's stack is built to
// look the same, so the first switch to it "returns" into task_start.
#include "kernel.hpp"
#include "spinlock.hpp"
#include "x86.hpp"

namespace glassvm::guest {
namespace {

constexpr size_t kStackSize = 16 * 1024;

Task tasks[kMaxTasks];
// Kernel stacks need no zeroing, so they live in .stack (NOLOAD), past .bss.
[[gnu::section(".stack.tasks")]] alignas(16) char stacks[kMaxTasks][kStackSize];
uint32_t next_id = 1;
uint8_t first_status;  // task 1's exit status, the VM's when the last task ends

}  // namespace

Spinlock task_lock;

namespace {

// Where every task begins, on its own kernel stack, the first time it is switched to.
[[noreturn]] void task_start() {
    Task* task = current_task();
    if (task->kernel_main) {
        task->kernel_main();
        task_exit(abi::kStatusSuccess);
    }
    enter_user(task->user_entry, task->user_stack);
}

// A free slot, marked Starting (so no other CPU takes it) and set up to begin in task_start.
Task* claim(void (*kernel_main)(), Task* parent, unsigned cpu) {
    LockGuard guard(task_lock);
    for (size_t slot = 0; slot < kMaxTasks; ++slot) {
        Task& task = tasks[slot];
        if (task.state != TaskState::Free) continue;
        task = Task{};
        task.state = TaskState::Starting;
        task.id = next_id++;
        task.cpu = cpu;
        task.parent = parent;
        task.kernel_main = kernel_main;
        task.cr3 = kernel_address_space();
        task.stack_top = reinterpret_cast<uint64_t>(stacks[slot + 1]);
        // switch_context pops six registers and returns: to task_start, with the stack as a
        // call would leave it (RSP + 8 aligned to 16, System V ABI §3.2.2).
        auto* stack = reinterpret_cast<uint64_t*>(task.stack_top);
        *--stack = 0;
        *--stack = reinterpret_cast<uint64_t>(&task_start);
        for (int i = 0; i < 6; ++i) *--stack = 0;
        task.saved_rsp = reinterpret_cast<uint64_t>(stack);
        return &task;
    }
    return nullptr;
}

// Starting tasks count: the VM does not end while tasks are still being created.
size_t live_tasks() {
    size_t count = 0;
    for (const Task& task : tasks)
        if (task.state != TaskState::Free && task.state != TaskState::Zombie) ++count;
    return count;
}

uint64_t claim_region() {
    LockGuard guard(task_lock);
    return user_region_claim();
}

void release_region(uint64_t region) {
    LockGuard guard(task_lock);
    user_region_release(region);
}

}  // namespace

Task* task_table() { return tasks; }

Task* task_spawn_kernel(void (*main)(), unsigned cpu) {
    Task* task = claim(main, nullptr, cpu);
    if (task) task_make_ready(task);
    return task;
}

// The program is copied in through the new task's own page tables, loaded for the moment
// (outside the lock: the slot is Starting, and the region this task's alone).
Task* task_spawn_user(const Word* arguments, size_t count, Task* parent, unsigned cpu) {
    uint64_t region = claim_region();
    if (region == 0) return nullptr;
    Task* task = claim(nullptr, parent, cpu);
    if (!task) {
        release_region(region);
        return nullptr;
    }
    task->region = region;
    task->cr3 = address_space_create(size_t(task - tasks), region);
    uint64_t previous = x86::read_cr3();
    x86::write_cr3(task->cr3);
    task->user_stack = program_load(arguments, count);
    x86::write_cr3(previous);
    task->user_entry = program_entry();
    return task;
}

void task_make_ready(Task* task) {
    LockGuard guard(task_lock);
    wake(task);
}

// The task's memory goes back at once; its table entry and kernel stack (which this very code
// still runs on) stay until its parent collects the status, or for good for a task with none.
// (A child runs on its parent's CPU, so its stack is left before the parent can free it.)
// Whichever CPU ends the last task ends the VM.
void task_exit(uint8_t status) {
    Task* task = current_task();
    task_lock.acquire();
    if (task->id == 1) first_status = status;
    if (task->region != 0) user_region_release(task->region);
    task->exit_status = status;
    task->state = TaskState::Zombie;
    if (task->parent && task->parent->state == TaskState::WaitingChild) wake(task->parent);
    if (live_tasks() == 0) exit_vm(first_status);
    block(TaskState::Zombie);
    x86::halt_forever();  // a zombie is never scheduled again
}

uint8_t task_wait(Task* child) {
    task_lock.acquire();
    while (child->state != TaskState::Zombie) {
        block(TaskState::WaitingChild);
        task_lock.acquire();
    }
    uint8_t status = child->exit_status;
    child->state = TaskState::Free;
    task_lock.release();
    return status;
}

}  // namespace glassvm::guest
