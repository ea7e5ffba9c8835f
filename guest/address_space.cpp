// Address spaces: each task's page tables. All tasks share the kernel's map (page_tables.S:
// identity, supervisor-only) except for the first page directory, which each task has a copy
// of with the user window [kUserBase, window end) pointing at the task's own region of RAM,
// user-accessible (Intel SDM Vol. 3A §4.5, 4-level paging; §4.6, the U/S bit at every level).
// So the same static program, linked at 4 MiB, runs as several tasks at once, each in its own
// memory, and ring 3 reaches nothing else.
#include "kernel.hpp"

extern "C" uint64_t boot_pml4[512], boot_pdpt[512], boot_page_directories[2048];  // page_tables.S

namespace glassvm::guest {
namespace {

constexpr uint64_t kPresent = 1, kWritable = 2, kUser = 4, kLarge = 0x80;
constexpr uint64_t kTable = kPresent | kWritable | kUser;

// Three 4 KiB tables a task: PML4, PDPT and the page directory for [0, 1 GiB). Kept out of
// .bss (section .stack.page_tables, never zeroed at boot): filled when a task is created.
struct alignas(4096) PageTables {
    uint64_t pml4[512], pdpt[512], directory[512];
};
[[gnu::section(".stack.page_tables")]] PageTables tables[kMaxTasks];

}  // namespace

uint64_t address_space_create(size_t slot, uint64_t region) {
    PageTables& own = tables[slot];
    memset(own.pml4, 0, sizeof own.pml4);
    own.pml4[0] = reinterpret_cast<uint64_t>(own.pdpt) | kTable;
    memcpy(own.pdpt, boot_pdpt, sizeof own.pdpt);  // [1 GiB, 4 GiB): the kernel's directories
    own.pdpt[0] = reinterpret_cast<uint64_t>(own.directory) | kTable;
    memcpy(own.directory, boot_page_directories, sizeof own.directory);
    uint64_t first = kUserBase / kLargePage, last = user_window_end() / kLargePage;
    for (uint64_t page = first; page < last; ++page)
        own.directory[page] = (region + (page - first) * kLargePage) | kPresent | kWritable | kUser | kLarge;
    return reinterpret_cast<uint64_t>(own.pml4);
}

uint64_t kernel_address_space() { return reinterpret_cast<uint64_t>(boot_pml4); }

}  // namespace glassvm::guest
