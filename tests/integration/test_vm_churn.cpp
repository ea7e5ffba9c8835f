// Load and hygiene (issue 7): many VMs built, run and destroyed in one long-lived process — the
// way glassvm run does it, background release included — leak no file descriptors, threads,
// child processes or memory. Counted from /proc/self after a warm-up and at the end.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "base/fd.hpp"
#include "process.hpp"
#include "vmm/run/background_release.hpp"
#include "vmm/run/machine.hpp"

using namespace glassvm::test;

namespace {

struct Footprint {
    size_t fds = 0;
    size_t threads = 0;      // ours: KVM's own per-VM workers are counted apart
    size_t kvm_workers = 0;  // "kvm-nx-lpage-re…" threads, one per VM not yet torn down
    size_t children = 0;     // live or zombie processes whose parent is this one
    uint64_t rss_kib = 0;
    uint64_t virtual_kib = 0;
};

size_t entries_in(const std::string& directory) {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++count;
    return count;
}

uint64_t status_field_kib(const std::string& field) {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
    return 0;
}

// Children from /proc/*/stat: the fourth field is the parent's pid (after "(comm)", which may
// itself contain spaces, so parse from the last ')').
size_t children_of(pid_t parent) {
    size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream file(entry.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        size_t close = stat.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) ++count;
    }
    return count;
}

// The most address space glibc's malloc may reserve in arenas: 64 MiB each, at most 8 per CPU
// (mallopt(3), M_ARENA_MAX).
[[maybe_unused]] uint64_t malloc_arena_reserve_kib() { return 8ull * ::sysconf(_SC_NPROCESSORS_ONLN) * 65536; }

// KVM (Linux 6.13 and later) runs each VM's NX huge page recovery worker as a thread of the
// process that created the VM, until the VM is destroyed — which the background releaser does a
// little later, in its own time. Those are counted apart from this process's own threads, in
// one pass over /proc/self/task: counting all tasks and the workers separately would let a
// worker that ends between the two counts make one of ours disappear. A task that is gone by
// the time its comm is read is not counted at all.
struct ThreadCount {
    size_t ours = 0;
    size_t kvm_workers = 0;
};

ThreadCount count_threads() {
    ThreadCount count;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        if (!std::getline(comm, name)) continue;  // ended meanwhile
        if (name.rfind("kvm-", 0) == 0)
            ++count.kvm_workers;
        else
            ++count.ours;
    }
    return count;
}

Footprint footprint() {
    ThreadCount threads = count_threads();
    return {entries_in("/proc/self/fd"), threads.ours,
            threads.kvm_workers,         children_of(::getpid()),
            status_field_kib("VmRSS"),   status_field_kib("VmSize")};
}

// The footprint once the kernel has finished with threads that have ended: pthread_join returns
// when a thread's exit clears its tid (in exit_mm), a little before the kernel removes it from
// /proc/self/task. A leaked thread or fd stays; one on its way out is gone within milliseconds.
Footprint settled_footprint(const Footprint& before) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    Footprint now = footprint();
    while ((now.threads > before.threads || now.fds > before.fds) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        now = footprint();
    }
    return now;
}

// Every VM is torn down soon after its releaser lets go: KVM's per-VM workers all end.
bool kvm_workers_drain(std::chrono::seconds patience) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (count_threads().kvm_workers > 0) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

// One VM, exactly as execute_run does it: build, run to the guest's exit, hand the teardown to
// the background releaser, destroy the machine, then let the releaser go.
void run_one(const glassvm::MachineConfig& config, int expected_status) {
    glassvm::Fd releaser;
    glassvm::Machine machine(config);
    glassvm::StopReport report = machine.run();
    REQUIRE(report.exit_status == expected_status);
    releaser = glassvm::release_vm_in_background(machine.vm_file_descriptors());
}

// Every tenth VM is the real guest kernel on two vCPUs running init on the second; the rest are
// the one-instruction test kernel that writes status 7 to the exit port.
void churn(int count) {
    require_kvm();
    glassvm::Fd output(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    REQUIRE(output);
    glassvm::MachineConfig tiny;
    tiny.kernel_path = build_path("tests/guests/exit_status.elf");
    tiny.memory_bytes = 16ull << 20;
    tiny.input_fd = -1;
    tiny.output_fd = output.get();
    glassvm::MachineConfig smp = tiny;
    smp.kernel_path = build_path("guest/glassvm-guest.elf");
    smp.init_path = build_path("tests/guests/init_exit.elf");
    smp.command_line = "initcpu=1";
    smp.cpus = 2;

    constexpr int kWarmUp = 20;  // the allocator's arenas, the first thread stacks, lazy bindings
    Footprint before;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kWarmUp + count; ++i) {
        if (i == kWarmUp) {
            before = footprint();
            start = std::chrono::steady_clock::now();
        }
        if (i % 10 == 9)
            run_one(smp, 33);
        else
            run_one(tiny, 7);
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Footprint after = settled_footprint(before);
    CHECK(kvm_workers_drain(std::chrono::seconds(30)));  // no VM is held for ever
    WARN(count << " VMs in " << seconds << " s: " << count / seconds << " VMs/s; fds " << before.fds << " -> "
               << after.fds << ", threads " << before.threads << " -> " << after.threads << " (+" << after.kvm_workers
               << " KVM workers), children " << before.children << " -> " << after.children << ", RSS "
               << before.rss_kib << " -> " << after.rss_kib << " KiB, virtual " << before.virtual_kib << " -> "
               << after.virtual_kib << " KiB");
    CHECK(after.fds == before.fds);
    CHECK(after.threads == before.threads);
    // The releasers are grandchildren, reparented away at once: none may stay a child of ours.
    CHECK(after.children == 0);
#if !defined(__SANITIZE_ADDRESS__)
    // Memory: each VM maps 16 MiB of guest RAM and the kernel's structures, and frees them. A
    // leaked guest mapping would add 16 MiB of address space per VM, a leaked VM object or
    // thread stack at least a few KiB of resident memory per VM. Resident memory may grow by
    // 4 MiB of allocator caches (it does not grow with the count once warm: a leak of more than
    // 4 KiB per VM fails). Address space may also grow by the arenas glibc's malloc reserves for
    // new threads, 64 MiB each, at most 8 per CPU (measured: one more arena in 1,000 VMs); that
    // bound is still far below what one leaked 16 MiB guest RAM per VM would add.
    // (Under AddressSanitizer its quarantine holds freed memory back on purpose, so only
    // LeakSanitizer's report at exit judges memory there.)
    CHECK(after.rss_kib <= before.rss_kib + 4096);
    CHECK(after.virtual_kib <= before.virtual_kib + malloc_arena_reserve_kib() + 65536);
#endif
}

}  // namespace

// ~3 s on the idle 2-CPU development host (~320 VMs/s), ~18 s when it is busy with other builds.
TEST_CASE("load: 1000 VMs run one after another in one process leak nothing", "[kvm][load]") { churn(1000); }
