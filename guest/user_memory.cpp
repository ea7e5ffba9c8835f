// User memory: every task sees the same window of virtual addresses, [kUserBase, window end),
// holding its program and its stack; behind each task's window lies a region of RAM of its own
// (address_space.cpp maps it). Regions are window-sized, 2 MiB aligned, found in RAM above the
// kernel's 2 MiB and clear of the init module, at most kMaxTasks of them. The first region is
// the window's own addresses, so a lone task sees identity-mapped memory, as before tasks.
#include "kernel.hpp"

namespace glassvm::guest {
namespace {

uint64_t memory_end;  // RAM is [0, memory_end); never reaches into the MMIO hole
uint64_t window_size;
size_t region_count;
uint64_t region_base[kMaxTasks];
bool region_taken[kMaxTasks];

uint64_t align_down(uint64_t value) { return value & ~(kLargePage - 1); }
uint64_t align_up(uint64_t value) { return align_down(value + kLargePage - 1); }

// Adds the regions that fit in [begin, end).
void add_regions(uint64_t begin, uint64_t end) {
    for (uint64_t base = align_up(begin); region_count < kMaxTasks && base + window_size <= align_down(end);
         base += window_size)
        region_base[region_count++] = base;
}

}  // namespace

void user_memory_init(const abi::BootInfo& boot) {
    memory_end = boot.memory_bytes < abi::kMmioHoleStart ? boot.memory_bytes : abi::kMmioHoleStart;
}

uint64_t user_memory_end() { return memory_end; }

size_t user_window_init(uint64_t size, uint64_t avoid_begin, uint64_t avoid_end) {
    window_size = size;
    region_count = 0;
    if (avoid_begin < kUserBase + size) return 0;  // the first region must be the window itself
    add_regions(kUserBase, avoid_begin < memory_end ? avoid_begin : memory_end);
    if (avoid_end < memory_end) add_regions(avoid_end, memory_end);
    return region_count;
}

uint64_t user_window_end() { return kUserBase + window_size; }

uint64_t user_region_claim() {
    for (size_t i = 0; i < region_count; ++i) {
        if (!region_taken[i]) {
            region_taken[i] = true;
            return region_base[i];
        }
    }
    return 0;
}

void user_region_release(uint64_t base) {
    for (size_t i = 0; i < region_count; ++i)
        if (region_base[i] == base) region_taken[i] = false;
}

// [address, address + size) lies in the window; written to avoid overflow for any inputs.
bool is_user_range(uint64_t address, uint64_t size) {
    uint64_t end = user_window_end();
    return address >= kUserBase && address <= end && size <= end - address;
}

}  // namespace glassvm::guest
