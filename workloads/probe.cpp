// probe: prints what kernel it runs on and what one system call costs there, as key=value lines.
//
//   sysname= release= version= nodename= machine=   uname(2)
//   pid= ppid=                                       getpid(2), getppid(2)
//   cpu=                                             getcpu(2): the CPU it runs on
//   getppid_calls=N getppid_ns=<median ns per call>  N defaults to 1000, a number argument
//                                                    overrides (rounded down to whole batches
//                                                    of 10, at most 10240)
//   sleep_ms= monotonic_before_ns= monotonic_after_ns= slept_ns=
//                                                    with an argument sleep_ms=N: nanosleep(2)
//                                                    for N ms, CLOCK_MONOTONIC around it
//
// Freestanding: raw `syscall` instructions, no libc, so the same static binary runs on Linux and
// as the glassvm guest kernel's init.
#include <stddef.h>
#include <stdint.h>

namespace {

// Linux x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
constexpr long kWrite = 1, kNanosleep = 35, kGetpid = 39, kUname = 63, kGetppid = 110, kClockGettime = 228,
               kExitGroup = 231, kGetcpu = 309;
constexpr long kClockMonotonic = 1;

long syscall1(long number, long a) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a) : "rcx", "r11", "memory");
    return result;
}
long syscall2(long number, long a, long b) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return result;
}
long syscall3(long number, long a, long b, long c) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}
long syscall0(long number) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number) : "rcx", "r11", "memory");
    return result;
}

[[noreturn]] void exit_group(int status) {
    syscall1(kExitGroup, status);
    __builtin_unreachable();
}

struct Utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};
struct Timespec {
    long seconds, nanoseconds;
};

// An output buffer written out with one write(2): each write costs a guest system call.
struct Output {
    char data[1024];
    size_t length = 0;

    void text(const char* s) {
        while (*s != '\0' && length < sizeof data) data[length++] = *s++;
    }
    void number(uint64_t value) {
        char digits[20];
        size_t count = 0;
        do {
            digits[count++] = char('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (count > 0 && length < sizeof data) data[length++] = digits[--count];
    }
    void line(const char* key, const char* value) {
        text(key);
        text("=");
        text(value);
        text("\n");
    }
    void line(const char* key, uint64_t value) {
        text(key);
        text("=");
        number(value);
        text("\n");
    }
    void flush() {
        size_t done = 0;
        while (done < length) {
            long written = syscall3(kWrite, 1, long(data + done), long(length - done));
            if (written <= 0) exit_group(1);
            done += size_t(written);
        }
        length = 0;
    }
};

bool starts_with(const char* text, const char* prefix) {
    for (; *prefix != '\0'; ++text, ++prefix)
        if (*text != *prefix) return false;
    return true;
}

bool parse_count(const char* text, uint64_t& count) {
    if (*text == '\0') return false;
    uint64_t value = 0;
    for (; *text != '\0'; ++text) {
        if (*text < '0' || *text > '9' || value > 1'000'000'000) return false;
        value = value * 10 + uint64_t(*text - '0');
    }
    count = value;
    return value > 0;
}

// Monotonic nanoseconds, or -1 when the kernel has no clock.
int64_t now_ns() {
    Timespec time;
    if (syscall2(kClockGettime, kClockMonotonic, long(&time)) < 0) return -1;
    return time.seconds * 1'000'000'000 + time.nanoseconds;
}

void sort(int64_t* values, size_t count) {  // insertion sort: at most a few thousand values
    for (size_t i = 1; i < count; ++i) {
        int64_t value = values[i];
        size_t j = i;
        for (; j > 0 && values[j - 1] > value; --j) values[j] = values[j - 1];
        values[j] = value;
    }
}

int64_t median(int64_t* values, size_t count) {
    sort(values, count);
    return values[count / 2];
}

constexpr uint64_t kBatch = 10;
constexpr uint64_t kMaxBatches = 1024;

// How the calls are split: whole batches of kBatch (or one smaller batch when fewer are asked
// for), at most kMaxBatches of them. Only whole batches run, so `calls` is what is timed.
struct Plan {
    uint64_t batch_size, batches;
    uint64_t calls() const { return batch_size * batches; }
};

Plan plan_for(uint64_t requested) {
    uint64_t batch_size = requested < kBatch ? requested : kBatch;
    uint64_t batches = requested / batch_size;
    return {batch_size, batches < kMaxBatches ? batches : kMaxBatches};
}

// One round: an empty interval (two clock_gettime calls back to back), then a batch of
// getppid calls between two clock_gettime calls. False when there is no clock.
bool time_round(uint64_t batch_size, int64_t& empty_ns, int64_t& batch_ns) {
    int64_t start = now_ns();
    int64_t end = now_ns();
    if (start < 0 || end < 0) return false;
    empty_ns = end - start;
    start = now_ns();
    for (uint64_t i = 0; i < batch_size; ++i) syscall0(kGetppid);
    end = now_ns();
    batch_ns = end - start;
    return true;
}

// The cost of one getppid, measured with a clock that is itself a system call (and a slow one
// in the guest). A batch's time also holds about one clock_gettime's worth of overhead, so each
// round times an empty interval too, and the result is (median batch − median empty interval)
// / batch size. Medians, so that a stray interrupt or host hiccup does not move it.
// Three rounds run first and are dropped: on Linux the first calls after exec are measurably
// slower (cold caches and TLBs), and with fewer, small N gave 0 on the host.
// The samples live on the stack, not in .bss: the guest kernel zeroes .bss in ring 0, which is
// slow under this host's KVM, while the stack costs nothing until touched.
// Returns -1 when there is no clock.
int64_t measure_getppid_ns(const Plan& plan) {
    int64_t batch_ns[kMaxBatches];
    int64_t empty_ns[kMaxBatches];
    for (int round = 0; round < 3; ++round)
        if (!time_round(plan.batch_size, empty_ns[0], batch_ns[0])) return -1;
    for (uint64_t b = 0; b < plan.batches; ++b)
        if (!time_round(plan.batch_size, empty_ns[b], batch_ns[b])) return -1;
    int64_t overhead = median(empty_ns, plan.batches);
    int64_t per_call = (median(batch_ns, plan.batches) - overhead) / int64_t(plan.batch_size);
    return per_call > 0 ? per_call : 0;
}

// nanosleep(2) for `milliseconds`, reported with CLOCK_MONOTONIC before and after it.
void sleep_and_report(Output& out, uint64_t milliseconds) {
    Timespec duration{long(milliseconds / 1000), long(milliseconds % 1000 * 1'000'000)};
    int64_t before = now_ns();
    long result = syscall2(kNanosleep, long(&duration), 0);
    int64_t after = now_ns();
    out.line("sleep_ms", milliseconds);
    if (result < 0) {
        out.line("sleep", "failed");
    } else if (before < 0 || after < 0) {
        out.line("slept_ns", "unavailable");
    } else {
        out.line("monotonic_before_ns", uint64_t(before));
        out.line("monotonic_after_ns", uint64_t(after));
        out.line("slept_ns", uint64_t(after - before));
    }
    out.flush();
}

[[noreturn]] void usage() {
    const char message[] = "probe: usage: probe [getppid_calls] [sleep_ms=N]\n";
    syscall3(kWrite, 2, long(message), sizeof message - 1);
    exit_group(2);
}

}  // namespace

extern "C" [[noreturn]] void probe_main(const uint64_t* stack) {
    uint64_t argc = stack[0];
    auto argv = reinterpret_cast<const char* const*>(stack + 1);

    uint64_t calls = 1000, sleep_ms = 0;
    bool sleep = false;
    for (uint64_t i = 1; i < argc; ++i) {
        if (starts_with(argv[i], "sleep_ms=")) {
            sleep = true;
            if (!parse_count(argv[i] + 9, sleep_ms)) usage();
        } else if (!parse_count(argv[i], calls)) {
            usage();
        }
    }

    Output out;
    Utsname name{};
    if (syscall1(kUname, long(&name)) < 0) {
        out.line("uname", "failed");
    } else {
        out.line("sysname", name.sysname);
        out.line("release", name.release);
        out.line("version", name.version);
        out.line("nodename", name.nodename);
        out.line("machine", name.machine);
    }
    out.line("pid", uint64_t(syscall0(kGetpid)));
    out.line("ppid", uint64_t(syscall0(kGetppid)));
    unsigned cpu = 0;
    if (syscall3(kGetcpu, long(&cpu), 0, 0) < 0)
        out.line("cpu", "unavailable");
    else
        out.line("cpu", cpu);
    out.flush();
    if (sleep) sleep_and_report(out, sleep_ms);

    Plan plan = plan_for(calls);
    int64_t cost = measure_getppid_ns(plan);
    out.line("getppid_calls", plan.calls());
    if (cost < 0)
        out.line("getppid_ns", "unavailable");
    else
        out.line("getppid_ns", uint64_t(cost));
    out.flush();
    exit_group(0);
}

// The compiler may emit calls to these for struct copies and clears even when freestanding.
extern "C" void* memset(void* destination, int value, size_t size) {
    auto* bytes = static_cast<unsigned char*>(destination);
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<unsigned char>(value);
    return destination;
}

extern "C" void* memcpy(void* destination, const void* source, size_t size) {
    auto* to = static_cast<unsigned char*>(destination);
    auto* from = static_cast<const unsigned char*>(source);
    for (size_t i = 0; i < size; ++i) to[i] = from[i];
    return destination;
}
